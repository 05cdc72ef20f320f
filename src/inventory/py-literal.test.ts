import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { findOnPath } from '../../test/support/on-path.js';
import { parseIniValue, UnsupportedLiteral } from './py-literal.js';

/** Values as Ansible's INI plugin types them (ast.literal_eval, else the text). */
const CASES: readonly [string, unknown][] = [
  ['9000', 9000],
  ['yes', 'yes'],
  ['true', 'true'],
  ['True', true],
  ['False', false],
  ['None', null],
  ['"{\'a\': 1}"', "{'a': 1}"],
  ["{'a': 1, 'b': [1, 2.5, 'x'], 'c': None}", { a: 1, b: [1, 2.5, 'x'], c: null }],
  ['[1, 2,]', [1, 2]],
  ['(1,)', [1]],
  ['()', []],
  ['(5)', 5],
  ['80,443', [80, 443]],
  ['a,b', 'a,b'],
  ["'quoted'", 'quoted'],
  ['"two words"', 'two words'],
  ["'a' \"b\"", 'ab'],
  ["'tab\\there'", 'tab\there'],
  ["r'raw\\n'", 'raw\\n'],
  ["b'bytes'", 'bytes'],
  ["u'text'", 'text'],
  ["f'x'", "f'x'"],
  ["'\\x41\\u00e9\\101\\q'", 'Aé' + 'A\\q'],
  ['-5', -5],
  ['+5', 5],
  ['- 5', -5],
  ['-(5)', -5],
  ['--5', '--5'],
  ['-True', '-True'],
  ['1_000', 1000],
  ['0x1F', 31],
  ['0o17', 15],
  ['0b101', 5],
  ['00', 0],
  ['0755', '0755'],
  ['09.5', 9.5],
  ['1e3', 1000],
  ['1.5e-3', 0.0015],
  ['.5', 0.5],
  ['1.', 1],
  ['3.14', 3.14],
  ['1.2.3', '1.2.3'],
  ['10.0.0.1', '10.0.0.1'],
  ['192.168.1.0/24', '192.168.1.0/24'],
  ['aa:bb:cc:dd:ee:ff', 'aa:bb:cc:dd:ee:ff'],
  ['1+2', '1+2'],
  ['5 # a comment', 5],
  ['hello # a comment', 'hello # a comment'],
  ['  7', 7],
  ['"unterminated', '"unterminated'],
  ['', ''],
  ['abc', 'abc'],
  ['/usr/bin/python3', '/usr/bin/python3'],
  ['{}', {}],
  ['[]', []],
  ['[[1, [2, [3]]]]', [[1, [2, [3]]]]],
  ['{1: "a", True: "b", None: "c", "None": "d"}', { 1: 'b', null: 'c', None: 'd' }],
  ['x=1', 'x=1'],
  ['~/.ssh/id_ed25519', '~/.ssh/id_ed25519'],
  ['{{ inventory_hostname }}', '{{ inventory_hostname }}'],
  ["'{{ x }}'", '{{ x }}'],
];

describe('INI value typing (Python literal_eval, as Ansible)', () => {
  it.each(CASES)('%s', (text, expected) => {
    expect(parseIniValue(text)).toEqual(expected);
  });

  it.each([['{1, 2}'], ['1j'], ['[1, 2j]'], ['{[1]: 2}']])('refuses %s, which JSON cannot hold', (text) => {
    expect(() => parseIniValue(text)).toThrow(UnsupportedLiteral);
  });

  const python = findOnPath('python3');
  it.skipIf(!python)(
    python ? 'gives what Python ast.literal_eval gives (else the text), for every case' : 'SKIPPED: python3 is not on PATH',
    () => {
      const script = [
        'import ast, json, sys',
        'def value(text):',
        '    try:',
        '        v = ast.literal_eval(text)',
        '    except (ValueError, SyntaxError):',
        '        return text',
        '    return v.decode() if isinstance(v, bytes) else v',
        'print(json.dumps([value(t) for t in json.load(sys.stdin)]))',
      ].join('\n');
      const texts = CASES.map(([text]) => text);
      const theirs = JSON.parse(execFileSync(python!, ['-c', script], { input: JSON.stringify(texts) }).toString());
      expect(texts.map((text) => parseIniValue(text))).toEqual(theirs);
    },
  );
});
