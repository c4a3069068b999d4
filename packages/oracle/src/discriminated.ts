import { type Static, type TObject, type TUnion, Type } from 'typebox';

/**
 * A union told apart by one property (`kind`), written as JSON Schema `oneOf` with an OpenAPI
 * `discriminator`: Ajv (with `discriminator: true`) then reports a wrong `kind` as one error
 * instead of one error per variant, and OpenAPI tools render the variants by name.
 */
export function discriminated<const V extends TObject[]>(propertyName: string, variants: V) {
  return Type.Unsafe<Static<TUnion<V>>>({
    type: 'object',
    oneOf: variants,
    discriminator: { propertyName },
  });
}
