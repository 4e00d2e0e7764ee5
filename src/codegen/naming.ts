/** Names derived from a model's PascalCase name. */

export { kebabCase } from '../runtime/naming.js';

/** `MultiMnist` -> `multiMnist`; `HTTPModel` -> `httpModel`. */
export function camelCase(name: string): string {
  const m = /^[A-Z]+(?=[A-Z][a-z]|$)/.exec(name);
  if (m && m[0].length > 1) return m[0].toLowerCase() + name.slice(m[0].length);
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** `multi mnist`, `multi_mnist`, `multiMnist` -> `MultiMnist`. */
export function pascalCase(text: string): string {
  const words = text.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const joined = words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
  return /^[A-Z]/.test(joined) ? joined : `M${joined}`;
}
