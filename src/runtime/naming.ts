/** Names derived from a model's PascalCase name, shared by the compiler and the runtime. */

/** `MultiMnist` -> `multi-mnist`, `FaceAttributes2` -> `face-attributes2`, `HTTPModel` -> `http-model`. */
export function kebabCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase();
}
