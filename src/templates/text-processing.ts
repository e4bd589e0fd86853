import type { FlowTemplate } from './template';

const ANALYZE = `const text = String(prev.result ?? '');
const sentences = text.split(/(?<=[.!?。！？])\\s*/).map((s) => s.trim()).filter(Boolean);
const words = text.toLowerCase().match(/[\\p{L}\\p{N}']+/gu) ?? [];
const counts = {};
for (const w of words) if (w.length > 3) counts[w] = (counts[w] ?? 0) + 1;
const keywords = Object.entries(counts)
  .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
  .slice(0, 5)
  .map(([word]) => word);
return {
  characters: text.length,
  words: words.length,
  sentences: sentences.length,
  keywords,
  summary: sentences.slice(0, 2).join(' '),
};`;

/**
 * Seed 001's text-processing flow (start → summarise → end) with the steps that exist today: the
 * summary is extractive (first sentences plus keywords) until an `llm` node type is registered.
 */
export const textProcessing: FlowTemplate = {
  id: 'text-processing',
  name: 'Text processing',
  description:
    'Cleans the input text, then computes word, sentence and character counts, the top keywords and an extractive summary ' +
    '(its first two sentences) in a sandboxed code step. Replace the "analyze" step with an llm node for an abstractive summary.',
  category: 'data',
  tags: ['text', 'code', 'transform', 'summary'],
  example_input: {
    text: 'Temporal keeps workflows durable. Workers can crash and runs still finish. That is the point.',
  },
  trigger: { type: 'manual' },
  nodes: [
    {
      id: 'start',
      type: 'start',
      label: 'Text',
      position: { x: 0, y: 0 },
      data: {
        input_schema: { type: 'object', required: ['text'], properties: { text: { type: 'string' } } },
      },
    },
    {
      id: 'clean',
      type: 'transform',
      label: 'Normalise whitespace',
      position: { x: 200, y: 0 },
      data: { expression: '$trim($replace(input.text, /\\s+/, " "))' },
    },
    {
      id: 'analyze',
      type: 'code',
      label: 'Analyse and summarise',
      position: { x: 400, y: 0 },
      data: { code: ANALYZE },
    },
    {
      id: 'end',
      type: 'end',
      label: 'Result',
      position: { x: 600, y: 0 },
      data: { output: '{{ analyze.result }}' },
    },
  ],
  edges: [
    { source: 'start', target: 'clean' },
    { source: 'clean', target: 'analyze' },
    { source: 'analyze', target: 'end' },
  ],
};
