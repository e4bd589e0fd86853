/** A cycle of a directed graph: node indices in order, and the edge that closes it (last → first). */
export interface GraphCycle {
  nodes: number[];
  closingEdge: number;
}

/**
 * One cycle per strongly connected component that has one (Tarjan's algorithm, iterative so deep
 * graphs cannot overflow the stack). Linear in nodes + edges.
 *
 * @param out edge indices leaving each node
 * @param edgeTarget target node of each edge index
 */
export function findCycles(count: number, out: readonly number[][], edgeTarget: ArrayLike<number>): GraphCycle[] {
  const index = new Int32Array(count).fill(-1);
  const low = new Int32Array(count);
  const onStack = new Uint8Array(count);
  const component = new Int32Array(count).fill(-1);
  const roots: number[] = [];
  const stack: number[] = [];
  const callNode: number[] = [];
  const callPos: number[] = [];
  let counter = 0;

  const enter = (v: number) => {
    index[v] = low[v] = counter++;
    stack.push(v);
    onStack[v] = 1;
    callNode.push(v);
    callPos.push(0);
  };

  for (let first = 0; first < count; first++) {
    if (index[first] !== -1) continue;
    enter(first);
    while (callNode.length > 0) {
      const top = callNode.length - 1;
      const v = callNode[top];
      if (callPos[top] < out[v].length) {
        const w = edgeTarget[out[v][callPos[top]++]];
        if (index[w] === -1) enter(w);
        else if (onStack[w]) low[v] = Math.min(low[v], index[w]);
        continue;
      }
      callNode.pop();
      callPos.pop();
      if (callNode.length > 0) {
        const parent = callNode[callNode.length - 1];
        low[parent] = Math.min(low[parent], low[v]);
      }
      if (low[v] !== index[v]) continue;
      let size = 0;
      let w: number;
      do {
        w = stack.pop()!;
        onStack[w] = 0;
        component[w] = v;
        size++;
      } while (w !== v);
      if (size > 1 || out[v].some((e) => edgeTarget[e] === v)) roots.push(v);
    }
  }
  return roots.map((root) => cycleThrough(root, component, out, edgeTarget));
}

/** A shortest cycle through `root` inside its component (breadth-first, linear in the component). */
function cycleThrough(root: number, component: Int32Array, out: readonly number[][], edgeTarget: ArrayLike<number>): GraphCycle {
  const parentOf = new Map<number, number>([[root, -1]]);
  const queue = [root];
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head];
    for (const e of out[v]) {
      const w = edgeTarget[e];
      if (w === root) {
        const nodes: number[] = [];
        for (let u = v; u !== -1; u = parentOf.get(u)!) nodes.push(u);
        return { nodes: nodes.reverse(), closingEdge: e };
      }
      if (component[w] !== root || parentOf.has(w)) continue;
      parentOf.set(w, v);
      queue.push(w);
    }
  }
  return { nodes: [root], closingEdge: -1 };
}
