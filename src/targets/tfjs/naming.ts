/** Names the tfjs target derives from a model's PascalCase name: its folder and identifiers. */

export { kebabCase } from '../../runtime/naming.js';

/** `MultiMnist` -> `multiMnist`; `HTTPModel` -> `httpModel`. */
export function camelCase(name: string): string {
  const m = /^[A-Z]+(?=[A-Z][a-z]|$)/.exec(name);
  if (m && m[0].length > 1) return m[0].toLowerCase() + name.slice(m[0].length);
  return name.charAt(0).toLowerCase() + name.slice(1);
}
