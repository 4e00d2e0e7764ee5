/** Literal rendering and naming: what the emitter puts into generated code. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pascalCase } from '../../src/cli/commands/init.js';
import { camelCase, kebabCase } from '../../src/targets/tfjs/naming.js';
import { commentText, literal, prettyLiteral, propertyKey, stringLiteral } from '../../src/targets/typescript.js';

const evaluate = (source: string): unknown => new Function(`return (${source});`)();

const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ unit: 'binary' }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ unit: 'binary' }), tie('value'), { maxKeys: 4 }),
  ),
}));

describe('literal', () => {
  it('any JSON-like value evaluates back to itself (flat and pretty forms)', () => {
    fc.assert(
      fc.property(json.value, (value) => {
        const expected = JSON.parse(JSON.stringify(value, (_k, v) => (Object.is(v, -0) ? 0 : v)));
        expect(evaluate(literal(value))).toEqual(expected);
        expect(evaluate(prettyLiteral(value, 0, 20))).toEqual(expected);
      }),
    );
  });

  it('strings are single-quoted with quotes, backslashes, newlines and U+2028/9 escaped', () => {
    const hostile = `it's "x" \\ \n\r\t \u2028\u2029 \${x} \`t\` */`;
    const lit = stringLiteral(hostile);
    expect(lit).toBe(`'it\\'s "x" \\\\ \\n\\r\\t \\u2028\\u2029 \${x} \`t\` */'`);
    expect(lit).not.toMatch(/[\n\r\u2028\u2029]/);
    expect(evaluate(lit)).toBe(hostile);
  });

  it('keys are bare identifiers or quoted', () => {
    expect(propertyKey('units')).toBe('units');
    expect(propertyKey('a-b')).toBe("'a-b'");
    expect(literal({ 'a b': 1, ok: [true, null] })).toBe("{ 'a b': 1, ok: [true, null] }");
  });

  it('rejects what JSON cannot carry', () => {
    expect(() => literal(Number.NaN)).toThrow(/NaN/);
    expect(() => literal(() => 1)).toThrow(/function/);
  });

  it('comment text cannot close the comment', () => {
    expect(commentText('a */ b\u2028c')).toBe('a *\\/ b\nc');
  });
});

describe('naming', () => {
  it.each([
    ['MultiMnist', 'multi-mnist', 'multiMnist'],
    ['FaceAttributes2', 'face-attributes2', 'faceAttributes2'],
    ['HTTPModel', 'http-model', 'httpModel'],
    ['A', 'a', 'a'],
  ])('name=%s -> %s, %s', (name, kebab, camel) => {
    expect(kebabCase(name)).toBe(kebab);
    expect(camelCase(name)).toBe(camel);
  });
  it('pascalCase makes a model name from free words', () => {
    expect(pascalCase('face model')).toBe('FaceModel');
    expect(pascalCase('multi_mnist')).toBe('MultiMnist');
    expect(pascalCase('2d')).toBe('M2d');
  });
});

describe('header', () => {
  it('names the spec; the writer reads the spec path back without evaluating anything', async () => {
    const { headerLines } = await import('../../src/targets/tfjs/emit.js');
    const { headerSpec } = await import('../../src/api/write.js');
    for (const p of ['specs/a.yaml', "we'ird \\ dir/\u2028x\n.yaml", 'é/ü.yaml']) {
      const header = headerLines(p, 'ab12');
      expect(header.split('\n')).toHaveLength(3);
      expect(headerSpec(header)).toBe(p);
    }
    expect(headerSpec('export const x = 1;\n')).toBeUndefined();
  });
});
