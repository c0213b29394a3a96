package dev.metropolis.osbase.supervisor;

import dev.metropolis.osbase.logtree.DN;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;

/**
 * Settings of a {@link Supervisor}. Start from {@link #defaults()} and change what a test or
 * embedding needs.
 *
 * @param rootDN DN of the root runnable ({@code root})
 * @param logDN DN of the supervisor's own log ({@code supervisor})
 * @param time schedules backoff restarts; replace to control time in tests
 * @param jitter draws from [0, 1) that randomise backoff delays; replace for exact delays
 * @param backoff how DEAD runnables are backed off
 * @param settleQuiet how long nothing may change before {@link Supervisor#awaitSettled} returns
 * @param shutdownBound how long {@link Supervisor#close()} waits for runnables to exit
 * @param listener told of every state change, on the processor thread: must be quick
 */
public record Options(
    DN rootDN,
    DN logDN,
    TimeSource time,
    DoubleSupplier jitter,
    BackoffPolicy backoff,
    Duration settleQuiet,
    Duration shutdownBound,
    Consumer<Transition> listener) {

  public Options {
    if (rootDN.isRoot()) {
      throw new IllegalArgumentException("the root runnable needs a non-empty DN");
    }
    if (settleQuiet.isNegative()) {
      throw new IllegalArgumentException("settle quiet period must not be negative");
    }
    if (shutdownBound.isNegative()) {
      throw new IllegalArgumentException("shutdown bound must not be negative");
    }
  }

  public static Options defaults() {
    return new Options(
        DN.of("root"),
        DN.of("supervisor"),
        TimeSource.system(),
        () -> ThreadLocalRandom.current().nextDouble(),
        BackoffPolicy.DEFAULT,
        Duration.ofMillis(50),
        Duration.ofSeconds(10),
        t -> {});
  }

  public Options withRootDN(DN v) {
    return new Options(v, logDN, time, jitter, backoff, settleQuiet, shutdownBound, listener);
  }

  public Options withLogDN(DN v) {
    return new Options(rootDN, v, time, jitter, backoff, settleQuiet, shutdownBound, listener);
  }

  public Options withTime(TimeSource v) {
    return new Options(rootDN, logDN, v, jitter, backoff, settleQuiet, shutdownBound, listener);
  }

  public Options withJitter(DoubleSupplier v) {
    return new Options(rootDN, logDN, time, v, backoff, settleQuiet, shutdownBound, listener);
  }

  public Options withBackoff(BackoffPolicy v) {
    return new Options(rootDN, logDN, time, jitter, v, settleQuiet, shutdownBound, listener);
  }

  public Options withSettleQuiet(Duration v) {
    return new Options(rootDN, logDN, time, jitter, backoff, v, shutdownBound, listener);
  }

  public Options withShutdownBound(Duration v) {
    return new Options(rootDN, logDN, time, jitter, backoff, settleQuiet, v, listener);
  }

  public Options withListener(Consumer<Transition> v) {
    return new Options(rootDN, logDN, time, jitter, backoff, settleQuiet, shutdownBound, v);
  }
}
