import assert from 'node:assert/strict';
import { movingAverage, smoothingWindow } from '../../../src/cli/report/smooth.js';
import { linearScale } from '../../../src/cli/report/svg.js';

describe('report charts: smoothing and axes', () => {
  it('smooths a loss curve with a trailing moving average, keeping its steps', () => {
    const pts = [4, 2, 6, 0, 8].map((loss, i) => ({ step: i + 1, loss }));
    assert.deepEqual(movingAverage(pts, 2).map((p) => p.loss), [4, 3, 4, 3, 4]);
    assert.deepEqual(movingAverage(pts, 1), pts);
    assert.deepEqual(movingAverage(pts, 3).map((p) => p.step), [1, 2, 3, 4, 5]);
    assert.equal(smoothingWindow(150), 8);
    assert.equal(smoothingWindow(5), 1);
  });

  it('gives a percentage axis at least its minimum span, inside its clamp', () => {
    const narrow = linearScale([0.99, 1.0, 1.005], [0, 100], { clamp: [0, 1], minSpan: 0.1 });
    assert.ok(narrow.domain[1] - narrow.domain[0] >= 0.1 - 1e-12, `${narrow.domain}`);
    assert.ok(narrow.domain[1] <= 1);
    const wide = linearScale([0.2, 0.8], [0, 100], { clamp: [0, 1], minSpan: 0.1 });
    assert.ok(wide.domain[0] < 0.2 && wide.domain[1] > 0.8 && wide.domain[1] - wide.domain[0] < 0.8);
  });
});
