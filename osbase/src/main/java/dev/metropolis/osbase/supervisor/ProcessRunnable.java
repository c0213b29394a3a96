package dev.metropolis.osbase.supervisor;

import dev.metropolis.osbase.logtree.RawLogger;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Runs an external process as a runnable. Its stdout and stderr are both written, line by line, to
 * the raw logger at the runnable's own DN (interleaved as they arrive; raw entries do not record
 * which stream a line came from, as in the reference).
 *
 * <p>By default the runnable signals Healthy as soon as the process has started and the process is
 * expected to run until cancelled: any exit, even with code 0, is a failure ({@link
 * ProcessExitException}, so the runnable is DEAD and restarted with backoff). A {@link #oneShot()}
 * process instead signals Done when it exits with 0. When cancelled, the process and its
 * descendants get SIGTERM, then SIGKILL after {@link #killGrace(Duration)}; the runnable returns
 * only once the process is gone.
 *
 * <p>For a process that is one step of a larger runnable, call {@link #execute} directly.
 */
public final class ProcessRunnable implements SupervisedRunnable {
  public static final Duration DEFAULT_KILL_GRACE = Duration.ofSeconds(5);

  /** Longer lines are split; the log tree truncates each entry further, keeping the length. */
  private static final int MAX_LINE = 64 * 1024;

  private static final Duration PUMP_DRAIN = Duration.ofSeconds(2);

  private static final Duration EXIT_POLL = Duration.ofMillis(20);

  private final List<String> command;
  private final Optional<File> directory;
  private final Map<String, String> environment;
  private final boolean oneShot;
  private final boolean healthyOnStart;
  private final Duration killGrace;

  private ProcessRunnable(
      List<String> command,
      Optional<File> directory,
      Map<String, String> environment,
      boolean oneShot,
      boolean healthyOnStart,
      Duration killGrace) {
    if (command.isEmpty()) {
      throw new IllegalArgumentException("empty command");
    }
    this.command = List.copyOf(command);
    this.directory = directory;
    this.environment = Map.copyOf(environment);
    this.oneShot = oneShot;
    this.healthyOnStart = healthyOnStart;
    this.killGrace = killGrace;
  }

  public static ProcessRunnable of(String... command) {
    return of(new ProcessBuilder(command));
  }

  /**
   * Takes the command, working directory and environment of {@code builder} as they are now; the
   * builder is not used afterwards. Redirections are ignored: output always goes to the log tree.
   */
  public static ProcessRunnable of(ProcessBuilder builder) {
    return new ProcessRunnable(
        builder.command(),
        Optional.ofNullable(builder.directory()),
        builder.environment(),
        false,
        true,
        DEFAULT_KILL_GRACE);
  }

  /** Exiting with code 0 signals Done instead of counting as a failure. */
  public ProcessRunnable oneShot() {
    return new ProcessRunnable(command, directory, environment, true, healthyOnStart, killGrace);
  }

  /**
   * Whether to signal Healthy as soon as the process has started (the default). Without it the
   * runnable stays NEW while the process runs: useful only for one-shot processes.
   */
  public ProcessRunnable healthyOnStart(boolean v) {
    return new ProcessRunnable(command, directory, environment, oneShot, v, killGrace);
  }

  /** How long the process may take to exit after SIGTERM before it gets SIGKILL. */
  public ProcessRunnable killGrace(Duration v) {
    return new ProcessRunnable(command, directory, environment, oneShot, healthyOnStart, v);
  }

  public List<String> command() {
    return command;
  }

  @Override
  public void run(Context ctx) throws IOException, ProcessExitException {
    ProcessBuilder pb = new ProcessBuilder(command);
    directory.ifPresent(pb::directory);
    pb.environment().clear();
    pb.environment().putAll(environment);
    int code =
        execute(
            ctx,
            pb,
            killGrace,
            p -> {
              if (healthyOnStart) {
                ctx.signalHealthy();
              }
            });
    if (code != 0 || !oneShot) {
      throw new ProcessExitException(command, code);
    }
    if (ctx.state() == RunnableState.NEW) {
      ctx.signalHealthy();
    }
    ctx.signalDone();
  }

  @Override
  public String toString() {
    return "ProcessRunnable" + command;
  }

  /** {@link #execute(Context, ProcessBuilder, Duration, Consumer)} with the default grace. */
  public static int execute(Context ctx, ProcessBuilder pb) throws IOException {
    return execute(ctx, pb, DEFAULT_KILL_GRACE, p -> {});
  }

  /**
   * Runs {@code pb} to completion inside the calling runnable, writing its stdout and stderr to
   * {@code ctx}'s raw logger, and returns its exit code. When {@code ctx} is cancelled, the process
   * and its descendants get SIGTERM, then SIGKILL after {@code killGrace}, and {@link Cancelled} is
   * thrown once the process is gone. The process never outlives this call.
   *
   * @param started called once the process runs, e.g. to signal Healthy
   */
  public static int execute(
      Context ctx, ProcessBuilder pb, Duration killGrace, Consumer<? super Process> started)
      throws IOException {
    ctx.checkCancelled();
    pb.redirectInput(ProcessBuilder.Redirect.PIPE)
        .redirectOutput(ProcessBuilder.Redirect.PIPE)
        .redirectError(ProcessBuilder.Redirect.PIPE)
        .redirectErrorStream(false);
    Process p = pb.start();
    ctx.logger().info("started %s (pid %d)", String.join(" ", pb.command()), p.pid());
    Thread waiter = Thread.currentThread();
    try (var _ = ctx.onCancel(waiter::interrupt)) {
      p.getOutputStream().close();
      RawLogger raw = ctx.rawLogger();
      Thread out = pump(p.getInputStream(), raw, ctx.dn() + " stdout");
      Thread err = pump(p.getErrorStream(), raw, ctx.dn() + " stderr");
      started.accept(p);
      while (true) {
        try {
          int code = p.waitFor();
          drain(ctx, out, err);
          ctx.logger().info("pid %d exited with code %d", p.pid(), code);
          return code;
        } catch (InterruptedException e) {
          if (ctx.isCancelled()) {
            kill(ctx, p, killGrace);
            drain(ctx, out, err);
            throw new Cancelled(ctx.dn());
          }
          // An interrupt that is not a cancellation: keep waiting.
        }
      }
    } finally {
      if (p.isAlive()) {
        kill(ctx, p, killGrace);
      }
    }
  }

  /** SIGTERM to the process and its descendants; SIGKILL to whatever is left after the grace. */
  private static void kill(Context ctx, Process p, Duration grace) {
    List<ProcessHandle> family = new ArrayList<>(p.descendants().toList());
    ctx.logger().info("stopping pid %d and %d descendant(s): SIGTERM", p.pid(), family.size());
    p.destroy();
    family.forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + grace.toNanos();
    if (!awaitExit(p.toHandle(), deadline)) {
      ctx.logger()
          .warning("pid %d did not exit within %s of SIGTERM: sending SIGKILL", p.pid(), grace);
      family.addAll(p.descendants().toList());
      family.forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      awaitExit(p.toHandle(), System.nanoTime() + grace.toNanos());
    }
    for (ProcessHandle h : family) {
      if (!awaitExit(h, deadline)) {
        h.destroyForcibly();
      }
    }
  }

  /**
   * Waits, ignoring interrupts (and restoring the flag), until the process is gone or the deadline
   * passes. A zombie counts as gone: it has released everything, and reaping an orphaned descendant
   * is up to PID 1, not us.
   */
  private static boolean awaitExit(ProcessHandle h, long deadlineNanos) {
    boolean interrupted = false;
    try {
      while (!gone(h)) {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        try {
          h.onExit().get(Math.min(left, EXIT_POLL.toNanos()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (ExecutionException | TimeoutException e) {
          // poll again: onExit of a process that is not our child never completes for a zombie
        }
      }
      return true;
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static boolean gone(ProcessHandle h) {
    if (!h.isAlive()) {
      return true;
    }
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(h.pid()), "stat"));
      int i = stat.lastIndexOf(')');
      return i >= 0 && i + 2 < stat.length() && stat.charAt(i + 2) == 'Z';
    } catch (IOException e) {
      return !h.isAlive();
    }
  }

  /** Waits briefly for the output pumps to reach end of stream, so no output is lost. */
  private static void drain(Context ctx, Thread... pumps) {
    long deadline = System.nanoTime() + PUMP_DRAIN.toNanos();
    boolean interrupted = false;
    for (Thread t : pumps) {
      while (t.isAlive()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          ctx.logger().warning("output of %s still open after exit (held by a descendant?)", t);
          break;
        }
        try {
          t.join(Duration.ofNanos(left));
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private static Thread pump(InputStream in, RawLogger raw, String name) {
    return Thread.ofVirtual().name(name).start(() -> copyLines(in, raw));
  }

  private static void copyLines(InputStream in, RawLogger raw) {
    StringBuilder line = new StringBuilder();
    char[] buf = new char[8192];
    try (Reader r = new InputStreamReader(in, StandardCharsets.UTF_8)) {
      int n;
      while ((n = r.read(buf)) > 0) {
        for (int i = 0; i < n; i++) {
          char c = buf[i];
          if (c == '\n') {
            emit(line, raw);
          } else {
            if (line.length() >= MAX_LINE) {
              emit(line, raw);
            }
            line.append(c);
          }
        }
      }
    } catch (IOException e) {
      // the pipe was closed under us: the process is gone
    }
    if (!line.isEmpty()) {
      emit(line, raw);
    }
  }

  private static void emit(StringBuilder line, RawLogger raw) {
    int end = line.length();
    if (end > 0 && line.charAt(end - 1) == '\r') {
      end--;
    }
    // The trailing newline makes an empty line an (empty) entry rather than nothing.
    raw.write(line.substring(0, end) + "\n");
    line.setLength(0);
  }
}
