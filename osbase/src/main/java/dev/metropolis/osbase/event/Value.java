package dev.metropolis.osbase.event;

/**
 * An observable variable: producers {@link #set} it, each consumer {@link #watch}es it through its
 * own {@link Watcher}. Only the latest value matters; there is no history.
 *
 * @param <T> the value type; values must not be null
 */
public interface Value<T> {
  /**
   * Replaces the value and wakes every watcher, even when {@code value} equals the previous one.
   *
   * @throws NullPointerException when {@code value} is null: "no value yet" is not a value
   */
  void set(T value);

  /** A new watcher for one consumer. The consumer must {@link Watcher#close} it when done. */
  Watcher<T> watch();
}
