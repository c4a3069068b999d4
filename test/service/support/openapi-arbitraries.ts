import fc from 'fast-check';

/**
 * fast-check arbitraries from the JSON schemas of the API's OpenAPI document: values a
 * schema accepts, and the same values broken one way (a required field gone, an unknown field,
 * one value anywhere replaced by something of another kind). Only what the document uses
 * is covered: object, array, string (lengths, pattern), number/integer (bounds), boolean,
 * enum, const, anyOf/oneOf.
 */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  maxProperties?: number;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}

/**
 * Values to use for a property of this name instead of what its schema allows: a repository
 * must never be a random string (git would take `host:path` for ssh and leave loopback), and
 * refs and commands are only interesting when some of them are real.
 */
export type Overrides = Record<string, fc.Arbitrary<unknown>>;

/** Long strings cost time and say nothing more than a short one does. */
const LONGEST_STRING = 40;
const MOST_ITEMS = 3;

export function validValue(schema: JsonSchema, overrides: Overrides = {}): fc.Arbitrary<unknown> {
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return fc.oneof(...variants.map((v) => validValue(v, overrides)));
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object':
      return objectOf(schema, overrides);
    case 'array':
      return fc.array(validValue(schema.items ?? {}, overrides), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.max(
          schema.minItems ?? 0,
          Math.min(schema.maxItems ?? MOST_ITEMS, MOST_ITEMS),
        ),
      });
    case 'string':
      return stringOf(schema);
    case 'integer':
      return fc.integer({
        min:
          schema.exclusiveMinimum !== undefined
            ? schema.exclusiveMinimum + 1
            : (schema.minimum ?? -1_000_000),
        max:
          schema.exclusiveMaximum !== undefined
            ? schema.exclusiveMaximum - 1
            : (schema.maximum ?? 1_000_000),
      });
    case 'number':
      return fc.double({
        min: schema.exclusiveMinimum ?? schema.minimum ?? -1e9,
        max: schema.exclusiveMaximum ?? schema.maximum ?? 1e9,
        minExcluded: schema.exclusiveMinimum !== undefined,
        maxExcluded: schema.exclusiveMaximum !== undefined,
        noNaN: true,
        noDefaultInfinity: true,
      });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function stringOf(schema: JsonSchema): fc.Arbitrary<string> {
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.max(
    minLength,
    Math.min(schema.maxLength ?? LONGEST_STRING, LONGEST_STRING),
  );
  if (schema.pattern) {
    return fc
      .stringMatching(new RegExp(schema.pattern))
      .filter((s) => s.length >= minLength && s.length <= (schema.maxLength ?? Infinity));
  }
  return fc.string({ minLength, maxLength, unit: 'grapheme' });
}

function objectOf(schema: JsonSchema, overrides: Overrides): fc.Arbitrary<unknown> {
  const properties = schema.properties ?? {};
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, property] of Object.entries(properties)) {
    model[name] = overrides[name] ?? validValue(property, overrides);
  }
  const named = fc.record(model, { requiredKeys: schema.required ?? [] });
  const extra = schema.additionalProperties;
  if (typeof extra !== 'object' || Object.keys(properties).length > 0) return named;
  // A map (labels, make variables): free keys, values of the given schema.
  return fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), validValue(extra, overrides), {
    maxKeys: Math.min(schema.maxProperties ?? MOST_ITEMS, MOST_ITEMS),
  });
}

/** Every path (list of keys) inside a JSON value, the value itself included. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const paths = [prefix];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) paths.push(...pathsOf(v, [...prefix, i]));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) paths.push(...pathsOf(v, [...prefix, k]));
  }
  return paths;
}

function setAt(value: unknown, path: (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path.at(-1) as string | number] = replacement;
  return copy;
}

/** A value of the wrong kind for almost any field. */
const junk = fc.oneof(
  fc.constantFrom(null, true, 0, -1, 1e308, '', ' ', '\u0000', [], {}, 'x'.repeat(5000)),
  fc.jsonValue({ maxDepth: 2 }),
);

/** A value the schema accepts, broken in one place: how a careless or hostile client sends. */
export function brokenValue(schema: JsonSchema, overrides: Overrides = {}): fc.Arbitrary<unknown> {
  const valid = validValue(schema, overrides);
  const replaced = fc.tuple(valid, fc.nat(), junk).map(([value, n, bad]) => {
    const paths = pathsOf(value);
    return setAt(value, paths[n % paths.length] ?? [], bad);
  });
  const withUnknownField = fc
    .tuple(valid, fc.string({ minLength: 1, maxLength: 10 }), junk)
    .map(([value, key, bad]) =>
      value !== null && typeof value === 'object' && !Array.isArray(value)
        ? { ...value, [`unknown_${key}`]: bad }
        : value,
    );
  const withoutRequired = fc.tuple(valid, fc.nat()).map(([value, n]) => {
    const required = schema.required ?? [];
    if (required.length === 0 || value === null || typeof value !== 'object') return value;
    const copy = { ...(value as Record<string, unknown>) };
    delete copy[required[n % required.length] as string];
    return copy;
  });
  return fc.oneof(replaced, withUnknownField, withoutRequired);
}
