package dev.metropolis.osbase.net;

import dev.metropolis.osbase.linux.Libc;
import dev.metropolis.osbase.linux.LinuxException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A network namespace that code can run in, so that the sockets it creates live there.
 *
 * <p>Linux keeps the network namespace per thread ({@code setns(2)} moves only the calling thread)
 * and a socket belongs, for its whole life, to the namespace of the thread that created it. So one
 * dedicated <em>platform</em> thread (a virtual thread hops between carriers and cannot own a
 * namespace) enters the namespace once, and {@link #run} executes tasks there: a channel opened
 * inside keeps working in that namespace when used from any other thread. Everything else in the
 * process stays where it was.
 *
 * <p>Create sockets with the NIO {@code open()} factories ({@code SocketChannel.open()}, {@code
 * DatagramChannel.open()}): they create the descriptor at once. A plain {@code new Socket()}
 * creates it lazily at bind or connect time, which may happen outside the namespace. A process
 * started from inside {@link #run} inherits the namespace too (fork copies the calling thread's).
 */
public final class NetNs implements AutoCloseable {
  private static final NetNs CURRENT = new NetNs(Optional.empty(), Optional.empty());

  private final Optional<Path> path;
  private final Optional<ExecutorService> thread;

  private NetNs(Optional<Path> path, Optional<ExecutorService> thread) {
    this.path = path;
    this.thread = thread;
  }

  /** The namespace the caller is already in: {@link #run} just calls the task. */
  public static NetNs current() {
    return CURRENT;
  }

  /**
   * Enters the namespace at {@code path} (e.g. {@code /run/netns/NAME}, or {@code
   * /proc/PID/ns/net}) on a new platform thread. Needs CAP_SYS_ADMIN.
   *
   * @throws IOException when the file cannot be opened or is not a network namespace
   */
  public static NetNs open(Path path) throws IOException {
    Objects.requireNonNull(path, "path");
    int fd;
    try {
      fd = Libc.openReadOnly(path.toString());
    } catch (LinuxException e) {
      throw new IOException("cannot enter network namespace " + path + ": " + e.getMessage(), e);
    }
    // Exactly one thread, ever: a replacement worker would start in this process's namespace and
    // silently create sockets there. Refusing it (null) makes run() fail loudly instead.
    AtomicBoolean made = new AtomicBoolean();
    ExecutorService executor =
        Executors.newSingleThreadExecutor(r ->
            made.compareAndSet(false, true)
                ? Thread.ofPlatform().daemon().name("netns " + path.getFileName()).unstarted(r)
                : null);
    try {
      try {
        // setns with CLONE_NEWNET refuses a descriptor of any other kind of file or namespace.
        executor
            .submit(() -> {
              Libc.setns(fd, Libc.CLONE_NEWNET);
              return null;
            })
            .get();
      } finally {
        Libc.close(fd);
      }
    } catch (ExecutionException e) {
      executor.shutdownNow();
      if (e.getCause() instanceof LinuxException le) {
        throw new IOException(
            "cannot enter network namespace " + path + ": " + le.getMessage(), le);
      }
      throw new IOException("cannot enter network namespace " + path, e.getCause());
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while entering network namespace " + path, e);
    } catch (IOException | RuntimeException e) {
      executor.shutdownNow();
      throw e;
    }
    return new NetNs(Optional.of(path), Optional.of(executor));
  }

  /** Where the namespace was opened from; empty for {@link #current()}. */
  public Optional<Path> path() {
    return path;
  }

  /**
   * Runs {@code task} in this namespace and returns its result. Tasks run one at a time, so keep
   * them short (create a socket, start a process): do the blocking I/O outside.
   *
   * @throws Exception what the task threw
   * @throws java.util.concurrent.RejectedExecutionException after {@link #close()}
   */
  public <T> T run(Callable<T> task) throws Exception {
    if (thread.isEmpty()) {
      return task.call();
    }
    Future<T> f = thread.get().submit(task);
    try {
      return f.get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof Exception ex) {
        throw ex;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw e;
    } catch (InterruptedException e) {
      f.cancel(true);
      throw e;
    }
  }

  /** Stops the namespace's thread. Sockets created inside stay open and stay in the namespace. */
  @Override
  public void close() {
    if (thread.isPresent()) {
      thread.get().shutdown();
      try {
        if (!thread.get().awaitTermination(10, TimeUnit.SECONDS)) {
          thread.get().shutdownNow();
        }
      } catch (InterruptedException e) {
        thread.get().shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public String toString() {
    return path.map(p -> "netns " + p).orElse("current netns");
  }
}
