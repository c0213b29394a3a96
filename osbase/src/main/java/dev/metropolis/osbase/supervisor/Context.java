package dev.metropolis.osbase.supervisor;

import dev.metropolis.osbase.logtree.DN;
import dev.metropolis.osbase.logtree.Logger;
import dev.metropolis.osbase.logtree.RawLogger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;

/**
 * What one run of a runnable sees: its name, its loggers, and its cancellation. A restart gets a
 * fresh context; a context is never reused.
 *
 * <p>Cancellation is explicit: {@link #isCancelled()}, {@link #awaitCancel()} and {@link #onCancel}
 * observe it. The supervisor also interrupts the runnable's thread when it cancels, so that
 * blocking calls return early; a runnable that catches {@link InterruptedException} should check
 * {@link #isCancelled()} rather than rely on the interrupt flag.
 *
 * <p>All methods are thread-safe; a runnable may hand its context to helper threads.
 */
public final class Context {
  private final Supervisor supervisor;
  final Node node;
  private final DN dn;
  private final Logger logger;
  private final CountDownLatch cancelLatch = new CountDownLatch(1);

  // Guarded by this.
  private RunnableState phase = RunnableState.NEW;
  private boolean exited;
  private Map<String, String> names; // child name -> what took it ("runnable", "sub-logger")
  private List<Runnable> callbacks = new ArrayList<>();
  private RawLogger rawLogger;

  private volatile boolean cancelled;
  // Set by the processor before the thread starts; read when cancelling.
  volatile Thread thread;

  Context(Supervisor supervisor, Node node) {
    this.supervisor = supervisor;
    this.node = node;
    this.dn = node.dn;
    this.logger = supervisor.logs().logger(dn);
  }

  /** This runnable's DN, e.g. {@code root.network}. */
  public DN dn() {
    return dn;
  }

  /** A leveled logger at this runnable's DN. */
  public Logger logger() {
    return logger;
  }

  /** A raw logger at this runnable's DN, for the output of external processes. */
  public synchronized RawLogger rawLogger() {
    if (rawLogger == null) {
      rawLogger = supervisor.logs().raw(dn);
    }
    return rawLogger;
  }

  /**
   * Reserves the child DN {@code name} for logging only and returns a leveled logger there. The
   * name cannot then be used by a child runnable, nor the other way round. Allowed at any time.
   */
  public synchronized Logger subLogger(String name) {
    checkName(name);
    reserve(name, "sub-logger");
    return supervisor.logs().logger(dn.child(name));
  }

  /**
   * Starts a child runnable at {@code <this DN>.<name>}, in a group of its own.
   *
   * @throws IllegalArgumentException when the name is invalid or already taken (the message names
   *     the DN)
   * @throws IllegalStateException after {@link #signalHealthy()}: children are declared during
   *     setup only
   * @throws Cancelled when this context is already cancelled
   */
  public void run(String name, SupervisedRunnable runnable) {
    Map<String, SupervisedRunnable> one = new LinkedHashMap<>();
    one.put(name, Objects.requireNonNull(runnable, "runnable"));
    declare(one, "start child \"" + name + "\"");
  }

  /**
   * Starts a group of child runnables that fail together: when one of them dies, the others are
   * cancelled (and restarted). The map's iteration order is the start order.
   *
   * @throws IllegalArgumentException when the group is empty or a name is invalid or taken
   * @throws IllegalStateException after {@link #signalHealthy()}
   * @throws Cancelled when this context is already cancelled
   */
  public void runGroup(Map<String, ? extends SupervisedRunnable> members) {
    if (members.isEmpty()) {
      throw new IllegalArgumentException(dn + ": cannot start an empty group");
    }
    Map<String, SupervisedRunnable> copy = new LinkedHashMap<>();
    members.forEach(
        (name, r) -> copy.put(name, Objects.requireNonNull(r, () -> "runnable for " + name)));
    declare(copy, "start group " + copy.keySet());
  }

  private synchronized void declare(Map<String, SupervisedRunnable> members, String what) {
    if (exited) {
      throw new IllegalStateException(dn + ": cannot " + what + ": the runnable has exited");
    }
    if (phase != RunnableState.NEW) {
      throw new IllegalStateException(
          dn
              + ": cannot "
              + what
              + " after signalling Healthy: children must be declared during setup (state "
              + phase
              + ")");
    }
    for (String name : members.keySet()) {
      checkName(name);
      String taken = names == null ? null : names.get(name);
      if (taken != null) {
        throw new IllegalArgumentException(
            dn.child(name) + ": name \"" + name + "\" is already taken by a " + taken);
      }
    }
    if (cancelled) {
      throw new Cancelled(dn);
    }
    for (String name : members.keySet()) {
      reserve(name, "runnable");
    }
    // Submitted under the lock so that the queue order matches the order of signals.
    supervisor.submitChildren(this, members);
  }

  private void checkName(String name) {
    if (name == null || !DN.validPart(name)) {
      throw new IllegalArgumentException(
          dn
              + ": invalid child name \""
              + name
              + "\": must be 1-64 characters of [a-z0-9_-/] (no dots)");
    }
  }

  private void reserve(String name, String what) {
    if (names == null) {
      names = new HashMap<>();
    }
    String taken = names.putIfAbsent(name, what);
    if (taken != null) {
      throw new IllegalArgumentException(
          dn.child(name) + ": name \"" + name + "\" is already taken by a " + taken);
    }
  }

  /**
   * Setup is done and the runnable is serving. Resets the restart backoff. Legal once, from NEW.
   */
  public synchronized void signalHealthy() {
    checkLive("signal Healthy");
    if (phase != RunnableState.NEW) {
      throw new IllegalStateException(dn + ": cannot signal Healthy in state " + phase);
    }
    phase = RunnableState.HEALTHY;
    supervisor.submitSignal(this, RunnableState.HEALTHY);
  }

  /**
   * The runnable has nothing more to do: returning normally afterwards is not a failure and it will
   * not be restarted. Legal once, after {@link #signalHealthy()}.
   */
  public synchronized void signalDone() {
    checkLive("signal Done");
    if (phase != RunnableState.HEALTHY) {
      throw new IllegalStateException(
          dn + ": cannot signal Done in state " + phase + " (signal Healthy first)");
    }
    phase = RunnableState.DONE;
    supervisor.submitSignal(this, RunnableState.DONE);
  }

  private void checkLive(String what) {
    if (exited) {
      throw new IllegalStateException(dn + ": cannot " + what + ": the runnable has exited");
    }
  }

  /** NEW, HEALTHY or DONE: how far this run has signalled. */
  public synchronized RunnableState state() {
    return phase;
  }

  /** Whether the supervisor wants this runnable to stop. */
  public boolean isCancelled() {
    return cancelled;
  }

  /** Throws {@link Cancelled} if the context is cancelled. */
  public void checkCancelled() {
    if (cancelled) {
      throw new Cancelled(dn);
    }
  }

  /**
   * Blocks until the context is cancelled, then throws {@link Cancelled}: the usual last line of a
   * runnable whose work happens in callbacks or children. Interrupts do not end the wait early; the
   * interrupt flag is restored before throwing.
   */
  public void awaitCancel() {
    boolean interrupted = false;
    while (true) {
      try {
        cancelLatch.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    throw new Cancelled(dn);
  }

  /**
   * Runs {@code callback} once when the context is cancelled (at once, in this thread, if it
   * already is). Callbacks run on a separate virtual thread, so a slow one cannot stall the
   * supervisor; closing the returned registration removes the callback.
   */
  public Registration onCancel(Runnable callback) {
    Objects.requireNonNull(callback, "callback");
    synchronized (this) {
      if (!cancelled) {
        callbacks.add(callback);
        return () -> {
          synchronized (this) {
            if (!cancelled) {
              callbacks.remove(callback);
            }
          }
        };
      }
    }
    callback.run();
    return () -> {};
  }

  /** Removes a cancellation callback. */
  @FunctionalInterface
  public interface Registration extends AutoCloseable {
    @Override
    void close();
  }

  // Called by the processor only.
  void cancel() {
    List<Runnable> toRun;
    synchronized (this) {
      if (cancelled) {
        return;
      }
      cancelled = true;
      toRun = callbacks;
      callbacks = List.of();
    }
    cancelLatch.countDown();
    Thread t = thread;
    if (t != null) {
      t.interrupt();
    }
    if (!toRun.isEmpty()) {
      Thread.ofVirtual()
          .name(dn + " (cancel callbacks)")
          .start(() -> {
            for (Runnable cb : toRun) {
              try {
                cb.run();
              } catch (RuntimeException e) {
                logger.warning("cancellation callback failed: %s", e);
              }
            }
          });
    }
  }

  // Called by the runnable's thread when it returns or throws.
  synchronized void markExited() {
    exited = true;
  }
}
