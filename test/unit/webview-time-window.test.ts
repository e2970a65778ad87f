import assert from 'node:assert/strict';
import { windowTicks } from '../../webview/model/ticks';
import {
  MIN_WINDOW_MS,
  barGeometry,
  clampWindow,
  fullWindow,
  isFullWindow,
  rangeWindow,
  spanWindow,
  timeAt,
  wheelZoomFactor,
  zoomAround,
} from '../../webview/model/timeWindow';

const close = (actual: number, expected: number, what = '') => assert.ok(Math.abs(actual - expected) < 1e-9, `${what} ${actual} ≠ ${expected}`);

describe('waterfall zoom window', () => {
  it('clamps a window into the trace: shifted, not shrunk, and never narrower than the minimum', () => {
    assert.deepEqual(clampWindow({ startMs: -20, endMs: 30 }, 1000), { startMs: 0, endMs: 50 });
    assert.deepEqual(clampWindow({ startMs: 980, endMs: 1030 }, 1000), { startMs: 950, endMs: 1000 });
    assert.deepEqual(clampWindow({ startMs: 300, endMs: 100 }, 1000), { startMs: 100, endMs: 300 });
    assert.deepEqual(clampWindow({ startMs: -5, endMs: 2000 }, 1000), fullWindow(1000));
    const narrow = clampWindow({ startMs: 500, endMs: 500 }, 1000);
    close(narrow.endMs - narrow.startMs, MIN_WINDOW_MS, 'width');
    close((narrow.startMs + narrow.endMs) / 2, 500, 'middle');
    // A trace shorter than the minimum width is shown whole.
    assert.deepEqual(clampWindow({ startMs: 0.001, endMs: 0.002 }, 0.005), fullWindow(0.005));
    assert.deepEqual(clampWindow({ startMs: NaN, endMs: 3 }, 10), fullWindow(10));
  });

  it('knows the whole trace', () => {
    assert.equal(isFullWindow(fullWindow(100), 100), true);
    assert.equal(isFullWindow({ startMs: 0, endMs: 99 }, 100), false);
  });

  it('zooms around a point, keeping it where it is on screen', () => {
    const window = { startMs: 100, endMs: 300 };
    const zoomed = zoomAround(window, 1000, 150, 0.5);
    assert.deepEqual(zoomed, { startMs: 125, endMs: 225 });
    // The anchor stays at a quarter of the width.
    close((150 - zoomed.startMs) / (zoomed.endMs - zoomed.startMs), 0.25);
    // Zooming out past the edges shifts the window back in, then stops at the whole trace.
    assert.deepEqual(zoomAround({ startMs: 0, endMs: 100 }, 1000, 10, 3), { startMs: 0, endMs: 300 });
    assert.deepEqual(zoomAround(window, 1000, 200, 100), fullWindow(1000));
    // Zooming in stops at the minimum width.
    const tiny = zoomAround(window, 1000, 200, 1e-12);
    close(tiny.endMs - tiny.startMs, MIN_WINDOW_MS, 'width');
  });

  it('turns wheel deltas into zoom factors: down zooms out, up zooms in, huge deltas are capped', () => {
    assert.ok(wheelZoomFactor(100) > 1);
    assert.ok(wheelZoomFactor(-100) < 1);
    close(wheelZoomFactor(100) * wheelZoomFactor(-100), 1, 'symmetric');
    assert.equal(wheelZoomFactor(10_000), wheelZoomFactor(500));
  });

  it('zooms to a dragged range in either direction', () => {
    assert.deepEqual(rangeWindow(400, 250, 1000), { startMs: 250, endMs: 400 });
    assert.deepEqual(rangeWindow(-50, 80, 1000), { startMs: 0, endMs: 80 });
  });

  it('zooms to a span with a margin either side, inside the trace', () => {
    const window = spanWindow(200, 300, 1000, 0.1);
    close(window.startMs, 190);
    close(window.endMs, 310);
    // At the trace's start the margin is shifted to the right, not cut.
    const atStart = spanWindow(0, 100, 1000, 0.1);
    close(atStart.startMs, 0);
    close(atStart.endMs, 120);
    // A zero-length span gets the minimum width around it.
    const instant = spanWindow(500, 500, 1000, 0);
    close(instant.endMs - instant.startMs, MIN_WINDOW_MS);
    // The root span: the whole trace.
    assert.deepEqual(spanWindow(0, 1000, 1000), fullWindow(1000));
  });

  it('maps a fraction of the window to a time', () => {
    assert.equal(timeAt({ startMs: 100, endMs: 300 }, 0.25), 150);
    assert.equal(timeAt({ startMs: 100, endMs: 300 }, 2), 300);
  });

  it('clips bars to the window and says which ends are cut off', () => {
    const window = { startMs: 100, endMs: 200 };
    assert.deepEqual(barGeometry(120, 150, window), { left: 20, width: 30, clipStart: false, clipEnd: false, outside: null });
    assert.deepEqual(barGeometry(50, 150, window), { left: 0, width: 50, clipStart: true, clipEnd: false, outside: null });
    assert.deepEqual(barGeometry(150, 400, window), { left: 50, width: 50, clipStart: false, clipEnd: true, outside: null });
    assert.deepEqual(barGeometry(0, 1000, window), { left: 0, width: 100, clipStart: true, clipEnd: true, outside: null });
    assert.equal(barGeometry(10, 20, window).outside, 'before');
    assert.equal(barGeometry(210, 220, window).outside, 'after');
    assert.equal(barGeometry(200, 200, window).outside, null, 'an instant on the edge is inside');
  });
});

describe('zoomed time ticks', () => {
  it('puts ticks at multiples of a nice step inside the window', () => {
    const ticks = windowTicks(1234, 1290, 560, 80);
    assert.equal(ticks.stepMs, 10);
    assert.deepEqual(ticks.ticks, [1240, 1250, 1260, 1270, 1280, 1290]);
  });
  it('matches the whole-trace ticks when the window is the whole trace', () => {
    const ticks = windowTicks(0, 1000, 800, 80);
    assert.deepEqual(ticks, { stepMs: 100, ticks: [0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000] });
  });
  it('copes with an empty window', () => {
    assert.deepEqual(windowTicks(5, 5, 800), { stepMs: 1, ticks: [5] });
  });
});
