import type { Recipe } from '@kbisect/config';
import type { BuildSpec } from '@kbisect/contracts';
import { BadRequest, Unprocessable } from '../errors/http-errors.js';

/** The oracle of a bisect spec, in @kbisect/oracle's shape. */
export type OracleSpec = NonNullable<Recipe['oracle']>;

export interface RecipeFields {
  build?: BuildSpec | undefined;
  oracle?: OracleSpec | undefined;
  recipe?: string | undefined;
}

/**
 * A body with the build and oracle of the recipe it names, resolved once at submission: the
 * stored spec is complete (workers never read `recipes:`, and a recipe changed later does not
 * change a running bisect), and `recipe` stays on it so reports can say where the commands
 * came from. A field given both by the body and by the recipe is a 400: one of them would be
 * silently ignored.
 */
export function applyRecipe<T extends RecipeFields>(
  body: T,
  recipes: Readonly<Record<string, Recipe>>,
): T & { oracle: OracleSpec } {
  const name = body.recipe;
  if (name === undefined) {
    if (!body.oracle) {
      const message = 'missing field "oracle": give an oracle, or name a recipe that has one';
      throw new BadRequest(`body/oracle: ${message}`, [{ path: 'body/oracle', message }]);
    }
    return body as T & { oracle: OracleSpec };
  }
  const recipe = recipes[name];
  if (!recipe) {
    const known = Object.keys(recipes);
    const message = `no recipe "${name}" in this service's config (known: ${known.join(', ') || 'none'})`;
    throw new Unprocessable(message, [{ path: 'body/recipe', message }]);
  }
  const twice = (['build', 'oracle'] as const).filter(
    (field) => body[field] !== undefined && recipe[field] !== undefined,
  );
  if (twice.length > 0) {
    const details = twice.map((field) => ({
      path: `body/${field}`,
      message: `recipe "${name}" defines the ${field}; drop it from the body or the recipe name`,
    }));
    throw new BadRequest(details.map((d) => `${d.path}: ${d.message}`).join('; '), details);
  }
  const oracle = body.oracle ?? recipe.oracle;
  if (!oracle) {
    const message = `recipe "${name}" has no oracle: give one in the body`;
    throw new BadRequest(`body/oracle: ${message}`, [{ path: 'body/oracle', message }]);
  }
  const build = body.build ?? recipe.build;
  return { ...body, ...(build ? { build } : {}), oracle };
}
