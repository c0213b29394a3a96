package dev.metropolis.osbase.logtree;

import java.io.PrintStream;
import java.util.function.Predicate;

/**
 * Copies the log tree to a console (a tty, a serial port, or stderr) in the text format of {@link
 * LogEntry#format()}, on its own virtual thread, until closed.
 *
 * <p>The writer knows nothing of the supervisor: whoever starts it closes it. It reads the whole
 * tree through a streaming {@link LogReader} with a bounded buffer, so a slow console (a serial
 * line at 115200 baud) never blocks the services that log; when the console falls behind, entries
 * are dropped and the writer prints a line saying how many. The filter is applied inside the
 * reader, so entries the console hides never take buffer space.
 */
public final class ConsoleWriter implements AutoCloseable {
  private final LogReader reader;
  private final PrintStream out;
  private final Thread thread;
  private long reportedMissed;

  private ConsoleWriter(LogReader reader, PrintStream out, String name) {
    this.reader = reader;
    this.out = out;
    this.thread = Thread.ofVirtual().name(name).unstarted(this::run);
  }

  /**
   * Starts writing entries that pass {@code filter}, from now on, to {@code out}.
   *
   * @param filter e.g. {@link ConsoleFilter#node()}; runs while the tree is locked, so keep it fast
   */
  public static ConsoleWriter start(
      LogTree tree, Predicate<? super LogEntry> filter, PrintStream out) {
    return start(tree, filter, out, 0, ReadOptions.DEFAULT_BUFFER);
  }

  /**
   * Starts writing entries that pass {@code filter} to {@code out}, beginning with up to {@code
   * backlog} past entries ({@link ReadOptions#ALL} for all) and buffering up to {@code buffer}
   * entries for a slow console.
   */
  public static ConsoleWriter start(
      LogTree tree, Predicate<? super LogEntry> filter, PrintStream out, int backlog, int buffer) {
    ReadOptions options =
        ReadOptions.backlogOnly().withChildren(true).backlog(backlog).stream(true).buffer(buffer);
    LogReader reader = tree.read(DN.ROOT, options, filter);
    ConsoleWriter w = new ConsoleWriter(reader, out, "console-writer");
    w.thread.start();
    return w;
  }

  private void run() {
    try {
      for (LogEntry e : reader.backlog()) {
        out.println(e.format());
      }
      out.flush();
      LogEntry e;
      while ((e = reader.take()) != null) {
        reportMissed();
        out.println(e.format());
        // Flush once the burst is written, not per line.
        if (reader.buffered() == 0) {
          out.flush();
        }
      }
    } catch (InterruptedException ie) {
      // Stopped by close() or by whoever owns this thread; nothing more to write.
    } finally {
      reader.close();
      out.flush();
    }
  }

  private void reportMissed() {
    long missed = reader.missed();
    if (missed > reportedMissed) {
      out.println(
          "logtree: console fell behind, " + (missed - reportedMissed) + " entries not shown");
      reportedMissed = missed;
    }
  }

  /** Entries dropped so far because the console was too slow. */
  public long missed() {
    return reader.missed();
  }

  /** Whether the writer thread is still running. */
  public boolean isRunning() {
    return thread.isAlive();
  }

  /**
   * Stops the writer and waits for it to finish the line it is writing. Entries not yet written are
   * discarded. If the calling thread is interrupted while waiting, it stops waiting and keeps its
   * interrupt status.
   */
  @Override
  public void close() {
    reader.close();
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
