package dev.metropolis.osbase.event;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * A {@link Value} held in memory.
 *
 * <p>The value keeps the latest element and a generation counter that every {@link #set} bumps;
 * each watcher remembers the generation it last saw. That is all the state there is, so a watcher
 * that falls behind costs nothing and simply sees the newest value next. Every watcher waits on its
 * own condition of one shared lock, so {@code set} wakes exactly the watchers of this value and
 * {@link Watcher#close} wakes exactly its own {@code get}. Filters run outside the lock, so a
 * filter may itself read or set other values.
 *
 * @param <T> the value type; values must not be null
 */
public final class MemoryValue<T> implements Value<T> {
  private final ReentrantLock lock = new ReentrantLock();
  private final List<MemoryWatcher> watchers = new ArrayList<>();
  private T value;
  // Number of set() calls so far; 0 means no value yet.
  private long generation;
  // Number of get() calls currently waiting, across all watchers; for tests.
  private int blocked;

  /** A value with nothing set yet: the first {@code get} of each watcher waits. */
  public MemoryValue() {}

  /** A value that starts as {@code initial}. */
  public MemoryValue(T initial) {
    set(initial);
  }

  @Override
  public void set(T value) {
    Objects.requireNonNull(value, "event values cannot be set to null");
    lock.lock();
    try {
      this.value = value;
      generation++;
      for (MemoryWatcher w : watchers) {
        w.changed.signal();
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public Watcher<T> watch() {
    lock.lock();
    try {
      MemoryWatcher w = new MemoryWatcher();
      watchers.add(w);
      return w;
    } finally {
      lock.unlock();
    }
  }

  /** Number of {@code get} calls blocked right now, over all watchers. For tests. */
  int blockedGets() {
    lock.lock();
    try {
      return blocked;
    } finally {
      lock.unlock();
    }
  }

  /** Number of open watchers. For tests. */
  int watcherCount() {
    lock.lock();
    try {
      return watchers.size();
    } finally {
      lock.unlock();
    }
  }

  private final class MemoryWatcher implements Watcher<T> {
    private final Condition changed = lock.newCondition();
    // Generation of the value last returned or rejected by a filter; 0 before the first get.
    private long seen;
    private boolean busy;
    private boolean closed;

    @Override
    public T get(Predicate<? super T> filter) throws InterruptedException {
      try {
        return await(filter, -1);
      } catch (TimeoutException e) {
        throw new AssertionError("untimed get timed out", e);
      }
    }

    @Override
    public T get(Predicate<? super T> filter, Duration timeout)
        throws InterruptedException, TimeoutException {
      long nanos;
      try {
        nanos = Math.max(0, timeout.toNanos());
      } catch (ArithmeticException tooLong) {
        nanos = timeout.isNegative() ? 0 : -1;
      }
      return await(filter, nanos);
    }

    // timeoutNanos < 0 waits forever.
    private T await(Predicate<? super T> filter, long timeoutNanos)
        throws InterruptedException, TimeoutException {
      Objects.requireNonNull(filter, "filter");
      long deadline = System.nanoTime() + Math.max(0, timeoutNanos);
      lock.lockInterruptibly();
      try {
        if (closed) {
          throw new IllegalStateException("get on a closed watcher");
        }
        if (busy) {
          throw new IllegalStateException(
              "concurrent get on one watcher: each consumer must watch() its own");
        }
        busy = true;
      } finally {
        lock.unlock();
      }
      try {
        while (true) {
          T candidate = next(timeoutNanos, deadline);
          if (filter.test(candidate)) {
            return candidate;
          }
        }
      } finally {
        lock.lock();
        try {
          busy = false;
        } finally {
          lock.unlock();
        }
      }
    }

    // Waits for a generation newer than seen and marks it seen.
    private T next(long timeoutNanos, long deadline) throws InterruptedException, TimeoutException {
      lock.lockInterruptibly();
      try {
        while (true) {
          if (closed) {
            throw new CancellationException("watcher closed while get was waiting");
          }
          if (generation != seen) {
            seen = generation;
            return value;
          }
          blocked++;
          try {
            if (timeoutNanos < 0) {
              changed.await();
            } else {
              long left = deadline - System.nanoTime();
              if (left <= 0) {
                throw new TimeoutException("no new value within " + Duration.ofNanos(timeoutNanos));
              }
              changed.awaitNanos(left);
            }
          } finally {
            blocked--;
          }
        }
      } finally {
        lock.unlock();
      }
    }

    @Override
    public void close() {
      lock.lock();
      try {
        if (!closed) {
          closed = true;
          watchers.remove(this);
          changed.signal();
        }
      } finally {
        lock.unlock();
      }
    }
  }
}
