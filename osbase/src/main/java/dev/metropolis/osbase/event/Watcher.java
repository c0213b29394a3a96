package dev.metropolis.osbase.event;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * One consumer's view of a {@link Value}. The first {@code get} returns the current value, or waits
 * until there is one; each later {@code get} waits for a value set after the one it last returned.
 * Values set in between may be skipped.
 *
 * <p>A watcher belongs to one consumer: calling {@code get} while another {@code get} on the same
 * watcher is in progress throws {@link IllegalStateException}. {@link #close} may be called from
 * any thread; it makes a blocked {@code get} throw {@link CancellationException}, which is the
 * explicit way to cancel a wait. A blocked {@code get} also ends with {@link InterruptedException}
 * when its thread is interrupted (that is how the supervisor cancels a runnable), and the watcher
 * stays usable afterwards.
 *
 * @param <T> the value type
 */
public interface Watcher<T> extends AutoCloseable {
  /**
   * The next value: the current one on the first call, then the next newer one.
   *
   * @throws InterruptedException when the thread is interrupted before or while waiting
   * @throws CancellationException when the watcher is closed while waiting
   * @throws IllegalStateException when the watcher is closed, or another get is in progress
   */
  default T get() throws InterruptedException {
    return get(v -> true);
  }

  /** Like {@link #get()}, but skips values until one satisfies {@code filter}. */
  T get(Predicate<? super T> filter) throws InterruptedException;

  /**
   * Like {@link #get()}, but gives up after {@code timeout}.
   *
   * @throws TimeoutException when no new value arrived in time; the watcher stays usable
   */
  default T get(Duration timeout) throws InterruptedException, TimeoutException {
    return get(v -> true, timeout);
  }

  /** Like {@link #get(Predicate)}, but gives up after {@code timeout}. */
  T get(Predicate<? super T> filter, Duration timeout)
      throws InterruptedException, TimeoutException;

  /** Releases the watcher. Idempotent; a {@code get} blocked in another thread is cancelled. */
  @Override
  void close();
}
