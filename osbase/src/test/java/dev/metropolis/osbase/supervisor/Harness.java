package dev.metropolis.osbase.supervisor;

import dev.metropolis.osbase.logtree.DN;
import dev.metropolis.osbase.logtree.LogEntry;
import dev.metropolis.osbase.logtree.LogTree;
import dev.metropolis.osbase.logtree.ReadOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.function.DoubleSupplier;

/** A supervisor under test: fake time, fixed jitter, recorded transitions, its log tree. */
final class Harness {
  /** Upper bound for every wait in the tests; reached only when a test fails. */
  static final Duration WAIT = Duration.ofSeconds(10);

  final LogTree logs = new LogTree();
  final FakeTime time = new FakeTime();
  final Recorder rec = new Recorder();
  Supervisor sup;

  /** Jitter that draws {@code values} in turn, then repeats the last one. */
  static DoubleSupplier jitter(Double... values) {
    List<Double> list = List.of(values);
    Iterator<Double> it = list.iterator();
    double[] last = {list.getLast()};
    return () -> {
      synchronized (it) {
        if (it.hasNext()) {
          last[0] = it.next();
        }
        return last[0];
      }
    };
  }

  Harness start(SupervisedRunnable root) {
    return start(root, jitter(0.0));
  }

  Harness start(SupervisedRunnable root, DoubleSupplier jitter) {
    sup =
        Supervisor.start(
            logs,
            root,
            Options.defaults()
                .withTime(time)
                .withJitter(jitter)
                .withListener(rec)
                .withSettleQuiet(Duration.ofMillis(20)));
    return this;
  }

  void settle() throws InterruptedException, TimeoutException {
    sup.awaitSettled(WAIT);
  }

  RunnableInfo info(String dn) {
    for (RunnableInfo i : sup.snapshot()) {
      if (i.dn().value().equals(dn)) {
        return i;
      }
    }
    throw new AssertionError("no runnable " + dn + " in " + sup.snapshot());
  }

  List<LogEntry> entries(String dn) {
    return logs.read(DN.of(dn), ReadOptions.backlogOnly()).backlog();
  }

  List<String> leveled(String dn) {
    List<String> out = new ArrayList<>();
    for (LogEntry e : entries(dn)) {
      if (e instanceof LogEntry.Leveled l) {
        out.add(l.severity() + " " + l.message());
      }
    }
    return out;
  }

  List<String> raw(String dn) {
    List<String> out = new ArrayList<>();
    for (LogEntry e : entries(dn)) {
      if (e instanceof LogEntry.Raw r) {
        out.add(r.data());
      }
    }
    return out;
  }

  /** Shuts down, failing the test if anything hung. */
  void close() throws InterruptedException {
    if (sup != null) {
      ShutdownResult r = sup.shutdown(WAIT);
      if (!r.clean()) {
        throw new AssertionError("runnables hung at shutdown: " + r.hung());
      }
    }
  }
}
