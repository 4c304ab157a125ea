// One small model with a block, an exit and a gate, shared by the editor unit tests. Numbers in the tests were
// worked out by hand from the cost model (src/modelfile/cost.ts) (multiply-add = 2 FLOPs, plus one add per bias).
export const LENS_FIXTURE = `# Fixture for the editor tests: one exit, one gate, no input range (a fixable finding).
dynn: 1
name: lens-fixture
input:
  shape: [28, 28, 1]
classes: 10
backbone:
  - { type: conv2d, name: conv1, filters: 8, kernel: 3, activation: relu }
  - { type: maxPool, name: pool1, size: 2 }
  - { type: conv2d, name: conv2, filters: 16, kernel: 3, activation: relu }
  - type: residual
    name: res1
    layers:
      - { type: conv2d, name: res1a, filters: 16, kernel: 3, activation: relu }
      - { type: conv2d, name: res1b, filters: 16, kernel: 3 }
  - { type: globalPool, name: gap, mode: avg }
  - { type: dense, name: logits, units: 10 }
exits:
  - name: e1
    after: conv2
    threshold: 0.95
gates:
  - name: g1
    block: res1
    threshold: 0.5
`;
