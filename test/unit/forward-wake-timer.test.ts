import { strict as assert } from 'node:assert';
import { WakeTimer } from '../../src/core/forward/wakeTimer';
import { FakeTime } from '../support/fakeTime';

function timerOf(): { time: FakeTime; timer: WakeTimer; wakes: number[]; timersSet: () => number } {
  const time = new FakeTime(0);
  const wakes: number[] = [];
  let set = 0;
  const counting = {
    setTimeout: (callback: () => void, delayMs: number) => {
      set++;
      return time.setTimeout(callback, delayMs);
    },
    clearTimeout: (handle: unknown) => time.clearTimeout(handle),
  };
  const timer = new WakeTimer(counting, time.now, () => wakes.push(time.now()));
  return { time, timer, wakes, timersSet: () => set };
}

describe('Forwarding wake timer', () => {
  it('wakes once, at the armed time', async () => {
    const { time, timer, wakes } = timerOf();
    timer.at(500);
    await time.advance(499);
    assert.deepEqual(wakes, []);
    await time.runAll();
    assert.deepEqual(wakes, [500]);
  });

  it('holds one timer: the same time keeps it, another time replaces it', async () => {
    const { time, timer, wakes, timersSet } = timerOf();
    timer.at(500);
    timer.at(500);
    assert.equal(timersSet(), 1, 'arming the same time again costs no new timer');
    assert.equal(time.pendingTimers, 1);
    timer.at(200);
    assert.equal(time.pendingTimers, 1);
    assert.equal(time.nextTimerAtMs, 200);
    await time.runAll();
    assert.deepEqual(wakes, [200]);
    timer.at(200);
    assert.equal(time.pendingTimers, 1, 'after waking it can be armed for the same time again');
  });

  it('never wakes inside the call that arms it, even for a time already past', async () => {
    const { time, timer, wakes } = timerOf();
    await time.advance(1000);
    timer.at(10);
    assert.deepEqual(wakes, []);
    await time.advance(0);
    assert.deepEqual(wakes, [1000]);
  });

  it('does not wake once cancelled', async () => {
    const { time, timer, wakes } = timerOf();
    timer.at(100);
    timer.cancel();
    timer.cancel();
    assert.equal(time.pendingTimers, 0);
    await time.runAll();
    assert.deepEqual(wakes, []);
  });
});
