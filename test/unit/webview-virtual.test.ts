import assert from 'node:assert/strict';
import {
  MAX_SCROLL_HEIGHT,
  navigationTarget,
  pageRows,
  scrollTopForVirtualTop,
  scrollTopToReveal,
  virtualScrollTop,
  virtualWindow,
} from '../../webview/model/virtual';

describe('webview virtual window', () => {
  it('renders the visible rows plus overscan', () => {
    const w = virtualWindow(220, 100, 1000, 20, 5);
    assert.equal(w.first, 6);
    assert.equal(w.end, 21);
    assert.equal(w.offsetTop, 120);
    assert.equal(w.contentHeight, 20_000);
  });
  it('counts a partly visible row at either edge as visible', () => {
    // Rows 11 (from 220 to 240, top 10 px hidden) to 16 (from 320, 10 px shown).
    const w = virtualWindow(230, 100, 1000, 20, 0);
    assert.equal(w.first, 11);
    assert.equal(w.end, 17);
    assert.equal(w.offsetTop, 220);
  });
  it('cuts the overscan at both ends of the list', () => {
    const top = virtualWindow(0, 100, 1000, 20, 5);
    assert.deepEqual([top.first, top.end, top.offsetTop], [0, 10, 0]);
    const bottom = virtualWindow(20_000 - 100, 100, 1000, 20, 5);
    assert.deepEqual([bottom.first, bottom.end, bottom.offsetTop], [990, 1000, 19_800]);
  });
  it('clamps a scroll position past the end (an overscrolled or shrunk list) to the last screenful', () => {
    const w = virtualWindow(50_000, 100, 30, 20, 2);
    assert.equal(w.contentHeight, 600);
    assert.deepEqual([w.first, w.end, w.offsetTop], [23, 30, 460]);
  });
  it('draws every row of a list shorter than the viewport, and nothing of an empty one', () => {
    assert.deepEqual(virtualWindow(0, 600, 3, 22, 12), { first: 0, end: 3, offsetTop: 0, contentHeight: 66 });
    assert.deepEqual(virtualWindow(100, 600, 0, 22, 12), { first: 0, end: 0, offsetTop: 0, contentHeight: 0 });
  });
  it('scales the scroller beyond the maximum height and still reaches the last row', () => {
    const rows = 1_000_000;
    const rowHeight = 22;
    const viewport = 600;
    const bottom = MAX_SCROLL_HEIGHT - viewport;
    const w = virtualWindow(bottom, viewport, rows, rowHeight, 3);
    assert.equal(w.contentHeight, MAX_SCROLL_HEIGHT);
    assert.equal(w.end, rows);
    // The last row's bottom lines up with the viewport's bottom.
    const lastTop = w.offsetTop + (rows - 1 - w.first) * rowHeight;
    assert.equal(Math.round(lastTop + rowHeight), MAX_SCROLL_HEIGHT);
    assert.equal(virtualScrollTop(bottom, viewport, rows, rowHeight), rows * rowHeight - viewport);
  });
  it('maps the middle of a scaled scroller onto the middle of the real list', () => {
    const rows = 1_000_000;
    const maxScroll = MAX_SCROLL_HEIGHT - 600;
    const real = virtualScrollTop(maxScroll / 2, 600, rows, 22);
    assert.equal(real, (rows * 22 - 600) / 2);
    const w = virtualWindow(maxScroll / 2, 600, rows, 22, 0);
    assert.equal(w.first, Math.floor(real / 22));
    // The first drawn row sits where the real list puts it relative to the viewport top.
    assert.ok(Math.abs(w.offsetTop - (maxScroll / 2 + w.first * 22 - real)) < 1e-6);
  });
  it('computes the scroll position that reveals a row, in both modes', () => {
    assert.equal(scrollTopToReveal(4, 0, 100, 1000, 20), 0);
    assert.equal(scrollTopToReveal(5, 0, 100, 1000, 20), 20);
    assert.equal(scrollTopToReveal(10, 0, 100, 1000, 20), 120);
    assert.equal(scrollTopToReveal(2, 200, 100, 1000, 20), 40);
    const rows = 1_000_000;
    const top = scrollTopToReveal(500_000, 0, 600, rows, 22);
    const w = virtualWindow(top, 600, rows, 22, 0);
    assert.ok(w.first <= 500_000 && 500_000 < w.end);
  });
  it('leaves a fully visible row where it is and moves a partly visible one the least', () => {
    assert.equal(scrollTopToReveal(12, 230, 100, 1000, 20), 230, 'row 12 is whole in view');
    assert.equal(scrollTopToReveal(11, 230, 100, 1000, 20), 220, 'row 11 is cut at the top');
    assert.equal(scrollTopToReveal(16, 230, 100, 1000, 20), 240, 'row 16 is cut at the bottom');
  });
  it('maps a real list position back to a scroll position, clamped, in both modes', () => {
    assert.equal(scrollTopForVirtualTop(440, 100, 1000, 20), 440);
    assert.equal(scrollTopForVirtualTop(-5, 100, 1000, 20), 0);
    assert.equal(scrollTopForVirtualTop(50_000, 100, 1000, 20), 20_000 - 100);
    assert.equal(scrollTopForVirtualTop(300, 600, 10, 20), 0, 'a list shorter than the viewport does not scroll');
    const rows = 1_000_000;
    for (const real of [0, 123_456, 11_000_000, rows * 22 - 600]) {
      const scroll = scrollTopForVirtualTop(real, 600, rows, 22);
      assert.ok(scroll <= MAX_SCROLL_HEIGHT - 600);
      assert.ok(Math.abs(virtualScrollTop(scroll, 600, rows, 22) - real) < 1e-6, `round trip of ${real}`);
    }
  });
});

describe('webview list keyboard paging', () => {
  it('pages by the whole rows in view less one', () => {
    assert.equal(pageRows(440, 22), 19);
    assert.equal(pageRows(450, 22), 19, 'a partly visible row does not count');
    assert.equal(pageRows(600, 44), 12);
    assert.equal(pageRows(30, 22), 1, 'a viewport of one row still moves');
    assert.equal(pageRows(0, 22), 1);
  });
  it('moves one row, a page, or to either end, within the list', () => {
    const rows = 50;
    assert.equal(navigationTarget('ArrowDown', 10, rows, 8), 11);
    assert.equal(navigationTarget('ArrowUp', 10, rows, 8), 9);
    assert.equal(navigationTarget('PageDown', 10, rows, 8), 18);
    assert.equal(navigationTarget('PageUp', 10, rows, 8), 2);
    assert.equal(navigationTarget('Home', 10, rows, 8), 0);
    assert.equal(navigationTarget('End', 10, rows, 8), 49);
  });
  it('stops at the first and the last row', () => {
    assert.equal(navigationTarget('ArrowDown', 49, 50, 8), 49);
    assert.equal(navigationTarget('PageDown', 45, 50, 8), 49);
    assert.equal(navigationTarget('ArrowUp', 0, 50, 8), 0);
    assert.equal(navigationTarget('PageUp', 3, 50, 8), 0);
  });
  it('starts at the top when no row is current', () => {
    assert.equal(navigationTarget('ArrowDown', -1, 50, 8), 0);
    assert.equal(navigationTarget('ArrowUp', -1, 50, 8), 0);
    assert.equal(navigationTarget('PageDown', -1, 50, 8), 7);
    assert.equal(navigationTarget('End', -1, 50, 8), 49);
  });
  it('ignores other keys and empty lists', () => {
    assert.equal(navigationTarget('ArrowRight', 3, 50, 8), null);
    assert.equal(navigationTarget('Enter', 3, 50, 8), null);
    assert.equal(navigationTarget('ArrowDown', -1, 0, 8), null);
    assert.equal(navigationTarget('End', -1, 0, 8), null);
  });
});
