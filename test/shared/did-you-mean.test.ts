import assert from 'node:assert/strict';
import { closestMatch, didYouMean, editDistance, typoThreshold } from '../../src/shared/did-you-mean';

describe('did you mean: typo suggestions by edit distance', () => {
  it('counts insertions, deletions, substitutions and swaps of neighbours as one edit each', () => {
    assert.equal(editDistance('url', 'url'), 0);
    assert.equal(editDistance('urll', 'url'), 1);
    assert.equal(editDistance('ur', 'url'), 1);
    assert.equal(editDistance('uri', 'url'), 1);
    assert.equal(editDistance('reuslt', 'result'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
  });

  it('stops early past the limit and answers limit + 1', () => {
    assert.equal(editDistance('completely', 'different', 2), 3);
    assert.equal(editDistance('a', 'abcdef', 2), 3);
  });

  it('allows more edits for longer words', () => {
    assert.deepEqual([3, 4, 5, 8, 9, 20].map(typoThreshold), [1, 1, 2, 2, 3, 3]);
  });

  it('suggests the closest node type, field or id, ignoring case', () => {
    assert.equal(closestMatch('htttp-request', ['start', 'http-request', 'end']), 'http-request');
    assert.equal(closestMatch('urll', ['method', 'url', 'headers']), 'url');
    assert.equal(closestMatch('fetc', ['fetch', 'notify']), 'fetch');
    assert.equal(closestMatch('Fetch', ['fetch']), 'fetch');
    assert.equal(closestMatch('reslt', ['result', 'status', 'headers', 'url']), 'result');
  });

  it('suggests nothing when no candidate is close, or two are equally close', () => {
    assert.equal(closestMatch('xyz', ['url', 'body']), undefined);
    assert.equal(closestMatch('emailer', ['start', 'end']), undefined);
    assert.equal(closestMatch('nod', ['node', 'nodx']), undefined);
    assert.equal(closestMatch('url', ['url']), undefined);
    assert.equal(closestMatch('a', []), undefined);
  });

  it('words the suggestion ready to append to a message', () => {
    assert.equal(didYouMean('urll', ['url']), ' (did you mean "url"?)');
    assert.equal(didYouMean('zzz', ['url']), '');
  });
});
