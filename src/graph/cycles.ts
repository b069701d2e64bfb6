/**
 * Strongly connected components with more than one member (Tarjan,
 * iterative), each sorted, in the order Tarjan closes them when started from
 * `nodes` in order. Works on integer ids: at 10,000 recipes and 45,000 edges
 * Maps of names cost about three times as much.
 */
export function findCycles(nodes: Iterable<string>, edges: Map<string, Set<string>>): string[][] {
  const ids = new Map<string, number>();
  const names: string[] = [];
  const idOf = (name: string): number => {
    let i = ids.get(name);
    if (i === undefined) {
      i = names.length;
      ids.set(name, i);
      names.push(name);
    }
    return i;
  };
  const starts: number[] = [];
  for (const n of nodes) starts.push(idOf(n));
  const adjacency: number[][] = [];
  for (const [source, targets] of edges) {
    const list: number[] = [];
    for (const t of targets) list.push(idOf(t));
    adjacency[idOf(source)] = list;
  }
  const count = names.length;
  const index = new Int32Array(count).fill(-1);
  const low = new Int32Array(count);
  const onStack = new Uint8Array(count);
  const stack: number[] = [];
  const out: string[][] = [];
  // The explicit call stack: a node and the position of its next neighbour.
  const callNode: number[] = [];
  const callNext: number[] = [];
  let counter = 0;
  const visit = (v: number) => {
    index[v] = low[v] = counter++;
    stack.push(v);
    onStack[v] = 1;
    callNode.push(v);
    callNext.push(0);
  };
  for (const start of starts) {
    if (index[start] !== -1) continue;
    visit(start);
    while (callNode.length > 0) {
      const top = callNode.length - 1;
      const v = callNode[top];
      const neighbours = adjacency[v];
      if (neighbours && callNext[top] < neighbours.length) {
        const w = neighbours[callNext[top]++];
        if (index[w] === -1) visit(w);
        else if (onStack[w]) low[v] = Math.min(low[v], index[w]);
        continue;
      }
      callNode.pop();
      callNext.pop();
      if (callNode.length > 0) {
        const parent = callNode[callNode.length - 1];
        low[parent] = Math.min(low[parent], low[v]);
      }
      if (low[v] === index[v]) {
        const component: string[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          component.push(names[w]);
        } while (w !== v);
        if (component.length > 1) out.push(component.sort());
      }
    }
  }
  return out;
}
