package dev.metropolis.osbase.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class MemoryValueTest {
  // Keeps the slow watchers' busy work from being optimised away.
  @SuppressWarnings("unused")
  private static volatile long sink;

  /** A get running on its own thread; join() returns its value or rethrows what it threw. */
  private static final class PendingGet<T> {
    private final AtomicReference<T> result = new AtomicReference<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Thread thread;

    PendingGet(Watcher<T> w) {
      thread =
          Thread.ofVirtual()
              .start(() -> {
                try {
                  result.set(w.get());
                } catch (Throwable t) {
                  failure.set(t);
                }
              });
    }

    T join() throws Throwable {
      thread.join();
      if (failure.get() != null) {
        throw failure.get();
      }
      return result.get();
    }
  }

  /** Waits (by spinning, not sleeping) until {@code n} gets are blocked on {@code v}. */
  private static void awaitBlocked(MemoryValue<?> v, int n) {
    while (v.blockedGets() != n) {
      Thread.onSpinWait();
    }
  }

  @Test
  void firstGetReturnsCurrentValue() throws Exception {
    var v = new MemoryValue<String>();
    v.set("a");
    v.set("b");
    try (var w = v.watch()) {
      assertThat(w.get()).isEqualTo("b");
    }
  }

  @Test
  void initialValueIsCurrent() throws Exception {
    var v = new MemoryValue<>("init");
    try (var w = v.watch()) {
      assertThat(w.get(Duration.ZERO)).isEqualTo("init");
    }
  }

  @Test
  void firstGetWaitsForFirstSet() throws Throwable {
    var v = new MemoryValue<String>();
    try (var w = v.watch()) {
      var pending = new PendingGet<>(w);
      awaitBlocked(v, 1);
      v.set("x");
      assertThat(pending.join()).isEqualTo("x");
    }
  }

  @Test
  void laterGetWaitsForNewerValue() throws Throwable {
    var v = new MemoryValue<>(1);
    try (var w = v.watch()) {
      assertThat(w.get()).isEqualTo(1);
      assertThatThrownBy(() -> w.get(Duration.ZERO)).isInstanceOf(TimeoutException.class);
      var pending = new PendingGet<>(w);
      awaitBlocked(v, 1);
      v.set(2);
      assertThat(pending.join()).isEqualTo(2);
    }
  }

  @Test
  void intermediateValuesAreSkipped() throws Exception {
    var v = new MemoryValue<>(1);
    try (var w = v.watch()) {
      assertThat(w.get()).isEqualTo(1);
      v.set(2);
      v.set(3);
      v.set(4);
      assertThat(w.get()).isEqualTo(4);
      assertThatThrownBy(() -> w.get(Duration.ZERO)).isInstanceOf(TimeoutException.class);
    }
  }

  @Test
  void equalValueStillWakesWatchers() throws Throwable {
    var v = new MemoryValue<>("same");
    try (var w = v.watch()) {
      assertThat(w.get()).isEqualTo("same");
      var pending = new PendingGet<>(w);
      awaitBlocked(v, 1);
      v.set("same");
      assertThat(pending.join()).isEqualTo("same");
    }
  }

  @Test
  void watchersAreIndependent() throws Exception {
    var v = new MemoryValue<>(1);
    try (var a = v.watch();
        var b = v.watch()) {
      assertThat(a.get()).isEqualTo(1);
      v.set(2);
      assertThat(a.get()).isEqualTo(2);
      // b never read: its first get returns the current value, not the history.
      assertThat(b.get()).isEqualTo(2);
      try (var c = v.watch()) {
        assertThat(c.get()).isEqualTo(2);
      }
    }
  }

  @Test
  void filterSkipsValuesUntilPredicateHolds() throws Throwable {
    var v = new MemoryValue<>(1);
    try (var w = v.watch()) {
      var result = new AtomicReference<Integer>();
      var failure = new AtomicReference<Throwable>();
      Thread t =
          Thread.ofVirtual()
              .start(() -> {
                try {
                  result.set(w.get(x -> x >= 3));
                } catch (Throwable e) {
                  failure.set(e);
                }
              });
      // The current value (1) is rejected, so the get blocks.
      awaitBlocked(v, 1);
      v.set(2);
      v.set(3);
      t.join();
      assertThat(failure.get()).isNull();
      assertThat(result.get()).isEqualTo(3);
      // A rejected value counts as seen: the next get waits for a newer one.
      assertThatThrownBy(() -> w.get(Duration.ZERO)).isInstanceOf(TimeoutException.class);
    }
  }

  @Test
  void filterAcceptingCurrentValueReturnsAtOnce() throws Exception {
    var v = new MemoryValue<>(5);
    try (var w = v.watch()) {
      assertThat(w.get(x -> x > 3, Duration.ZERO)).isEqualTo(5);
    }
  }

  @Test
  void filterWithTimeoutTimesOutWhenNothingMatches() throws Exception {
    var v = new MemoryValue<>(1);
    try (var w = v.watch()) {
      assertThatThrownBy(() -> w.get(x -> x > 100, Duration.ofMillis(20)))
          .isInstanceOf(TimeoutException.class);
      // Still usable after a timeout.
      v.set(200);
      assertThat(w.get(x -> x > 100)).isEqualTo(200);
    }
  }

  @Test
  void filterMaySetOtherValues() throws Exception {
    var v = new MemoryValue<>(1);
    var other = new MemoryValue<Integer>();
    try (var w = v.watch();
        var ow = other.watch()) {
      assertThat(
              w.get(x -> {
                other.set(x * 10);
                return true;
              }))
          .isEqualTo(1);
      assertThat(ow.get()).isEqualTo(10);
    }
  }

  @Test
  void concurrentGetOnOneWatcherIsRejected() throws Throwable {
    var v = new MemoryValue<Integer>();
    try (var w = v.watch()) {
      var pending = new PendingGet<>(w);
      awaitBlocked(v, 1);
      assertThatThrownBy(w::get)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("concurrent get");
      v.set(7);
      assertThat(pending.join()).isEqualTo(7);
    }
  }

  @Test
  void getAfterCloseIsRejected() throws Exception {
    var v = new MemoryValue<>(1);
    var w = v.watch();
    w.close();
    w.close(); // idempotent
    assertThatThrownBy(w::get)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    assertThat(v.watcherCount()).isZero();
  }

  @Test
  void closeCancelsBlockedGet() throws Throwable {
    var v = new MemoryValue<Integer>();
    var w = v.watch();
    var pending = new PendingGet<>(w);
    awaitBlocked(v, 1);
    w.close();
    assertThatThrownBy(pending::join).isInstanceOf(CancellationException.class);
    assertThat(v.blockedGets()).isZero();
  }

  @Test
  void interruptEndsBlockedGetAndWatcherStaysUsable() throws Throwable {
    var v = new MemoryValue<Integer>();
    try (var w = v.watch()) {
      var pending = new PendingGet<>(w);
      awaitBlocked(v, 1);
      pending.thread.interrupt();
      assertThatThrownBy(pending::join).isInstanceOf(InterruptedException.class);
      v.set(3);
      assertThat(w.get()).isEqualTo(3);
    }
  }

  @Test
  void interruptedThreadFailsFastEvenWithValueAvailable() throws Exception {
    var v = new MemoryValue<>(1);
    try (var w = v.watch()) {
      Thread.currentThread().interrupt();
      try {
        assertThatThrownBy(w::get).isInstanceOf(InterruptedException.class);
      } finally {
        Thread.interrupted();
      }
      assertThat(w.get()).isEqualTo(1);
    }
  }

  @Test
  void setNullIsRejected() {
    var v = new MemoryValue<String>();
    assertThatThrownBy(() -> v.set(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> new MemoryValue<String>(null))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void oneSetWakesEveryBlockedWatcher() throws Throwable {
    var v = new MemoryValue<Integer>();
    List<Watcher<Integer>> ws = new ArrayList<>();
    List<PendingGet<Integer>> gets = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      var w = v.watch();
      ws.add(w);
      gets.add(new PendingGet<>(w));
    }
    awaitBlocked(v, 5);
    v.set(42);
    for (var g : gets) {
      assertThat(g.join()).isEqualTo(42);
    }
    ws.forEach(Watcher::close);
    assertThat(v.watcherCount()).isZero();
  }

  @Test
  void hugeTimeoutDoesNotOverflow() throws Exception {
    var v = new MemoryValue<>(1);
    try (var w = v.watch()) {
      assertThat(w.get(Duration.ofSeconds(Long.MAX_VALUE))).isEqualTo(1);
      assertThatThrownBy(() -> w.get(Duration.ofSeconds(-5))).isInstanceOf(TimeoutException.class);
    }
  }

  /**
   * Many sets against slow watchers: each watcher must see a strictly increasing sequence (never an
   * older value after a newer one, never the same set twice) and must end on the last value set.
   */
  @Test
  void stressSlowWatcherSeesMonotonicLatestWins() throws Throwable {
    final int sets = 200_000;
    final int watcherCount = 4;
    var v = new MemoryValue<Integer>();
    List<Thread> threads = new ArrayList<>();
    List<List<Integer>> seen = new ArrayList<>();
    var failure = new AtomicReference<Throwable>();
    var allWatching = new CountDownLatch(watcherCount);
    for (int i = 0; i < watcherCount; i++) {
      List<Integer> mine = new ArrayList<>();
      seen.add(mine);
      var w = v.watch();
      final int slowness = i * 50;
      threads.add(
          Thread.ofPlatform()
              .start(() -> {
                try (w) {
                  int last = 0;
                  while (last != sets) {
                    int got = w.get();
                    if (got <= last) {
                      throw new AssertionError("got " + got + " after " + last);
                    }
                    mine.add(got);
                    if (last == 0) {
                      allWatching.countDown();
                    }
                    last = got;
                    // Be slow: burn some cycles so that values get skipped.
                    long x = 0;
                    for (int k = 0; k < slowness * 100; k++) {
                      x += Long.rotateLeft(x ^ k, 7);
                    }
                    sink = x;
                  }
                } catch (Throwable t) {
                  failure.set(t);
                  allWatching.countDown();
                }
              }));
    }
    // Every watcher is past its first get before the burst, so the burst races the watchers.
    v.set(1);
    allWatching.await();
    for (int i = 2; i <= sets; i++) {
      v.set(i);
    }
    for (Thread t : threads) {
      t.join();
    }
    if (failure.get() != null) {
      throw failure.get();
    }
    for (List<Integer> mine : seen) {
      assertThat(mine).isNotEmpty().isSorted().doesNotHaveDuplicates();
      assertThat(mine.getLast()).isEqualTo(sets);
    }
  }
}
