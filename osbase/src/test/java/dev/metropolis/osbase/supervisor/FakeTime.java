package dev.metropolis.osbase.supervisor;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * A {@link TimeSource} whose time moves only when a test calls {@link #advance}. It records every
 * delay the supervisor asked for, so a test can assert the exact backoff sequence.
 */
final class FakeTime implements TimeSource {
  private record Timer(long dueNanos, Runnable action) {}

  private final List<Timer> pending = new ArrayList<>();
  private final List<Duration> requested = new ArrayList<>();
  private long nowNanos;

  @Override
  public synchronized Scheduled schedule(Duration delay, Runnable action) {
    Timer t = new Timer(nowNanos + delay.toNanos(), action);
    pending.add(t);
    requested.add(delay);
    notifyAll();
    return () -> {
      synchronized (this) {
        pending.remove(t);
      }
    };
  }

  /** Moves time forward and runs, in due order, every action that has become due. */
  void advance(Duration d) {
    List<Timer> due;
    synchronized (this) {
      nowNanos += d.toNanos();
      due =
          pending.stream()
              .filter(t -> t.dueNanos() <= nowNanos)
              .sorted(Comparator.comparingLong(Timer::dueNanos))
              .toList();
      pending.removeAll(due);
    }
    due.forEach(t -> t.action().run());
  }

  /** Every delay asked for so far, in order. */
  synchronized List<Duration> requested() {
    return List.copyOf(requested);
  }

  synchronized int pendingCount() {
    return pending.size();
  }

  /** Waits until the supervisor has asked for its {@code n}-th delay (1-based) and returns it. */
  synchronized Duration awaitRequest(int n) throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + Harness.WAIT.toNanos();
    while (requested.size() < n) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new TimeoutException("timer request " + n + " never came; got " + requested);
      }
      wait(Math.max(1, left / 1_000_000));
    }
    return requested.get(n - 1);
  }
}
