package dev.metropolis.osbase.supervisor;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** Records every {@link Transition}, so that tests wait for states instead of sleeping. */
final class Recorder implements Consumer<Transition> {
  private final List<Transition> all = new ArrayList<>();

  @Override
  public synchronized void accept(Transition t) {
    all.add(t);
    notifyAll();
  }

  /** How many times {@code dn} entered {@code state}; {@code NEW} counts starts. */
  synchronized int count(String dn, RunnableState state) {
    int n = 0;
    for (Transition t : all) {
      if (t.dn().value().equals(dn) && t.to() == state) {
        n++;
      }
    }
    return n;
  }

  /** Waits until {@code dn} has entered {@code state} at least {@code times} times. */
  synchronized void await(String dn, RunnableState state, int times) throws InterruptedException {
    long deadline = System.nanoTime() + Harness.WAIT.toNanos();
    while (count(dn, state) < times) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError(
            dn + " did not reach " + state + " " + times + " time(s); history: " + history(dn));
      }
      wait(Math.max(1, left / 1_000_000));
    }
  }

  void await(String dn, RunnableState state) throws InterruptedException {
    await(dn, state, 1);
  }

  synchronized List<RunnableState> history(String dn) {
    List<RunnableState> out = new ArrayList<>();
    for (Transition t : all) {
      if (t.dn().value().equals(dn)) {
        out.add(t.to());
      }
    }
    return out;
  }
}
