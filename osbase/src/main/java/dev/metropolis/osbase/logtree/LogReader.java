package dev.metropolis.osbase.logtree;

import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * A reader opened by {@link LogTree#read}: a fixed backlog, then (when streaming) live entries.
 * Live entries wait in a bounded buffer; when the reader falls behind, new entries are dropped and
 * counted in {@link #missed()} instead of growing memory or blocking the writers.
 */
public final class LogReader implements AutoCloseable {
  private final LogTree tree;
  private final Predicate<LogEntry> filter;
  private final List<LogEntry> backlog;
  private final ArrayBlockingQueue<LogEntry> queue;
  private final AtomicLong missed = new AtomicLong();
  private volatile boolean closed;

  LogReader(
      LogTree tree,
      Predicate<LogEntry> filter,
      List<LogEntry> backlog,
      boolean stream,
      int buffer) {
    this.tree = tree;
    this.filter = filter;
    this.backlog = List.copyOf(backlog);
    this.queue = stream ? new ArrayBlockingQueue<>(buffer) : null;
    this.closed = !stream;
  }

  /** The backlog, oldest first, as of the moment the reader was opened. */
  public List<LogEntry> backlog() {
    return backlog;
  }

  void offer(LogEntry e) {
    if (!closed && filter.test(e) && !queue.offer(e)) {
      missed.incrementAndGet();
    }
  }

  /** The next live entry, waiting for it. */
  public LogEntry take() throws InterruptedException {
    requireStream();
    return queue.take();
  }

  /** The next live entry, or null after the timeout. */
  public LogEntry poll(long timeout, TimeUnit unit) throws InterruptedException {
    requireStream();
    return queue.poll(timeout, unit);
  }

  /** Live entries dropped so far because this reader's buffer was full. */
  public long missed() {
    return missed.get();
  }

  /** Live entries currently buffered. */
  public int buffered() {
    return queue == null ? 0 : queue.size();
  }

  private void requireStream() {
    if (queue == null) {
      throw new IllegalStateException("reader was opened without streaming");
    }
  }

  @Override
  public void close() {
    closed = true;
    tree.close(this);
    if (queue != null) {
      queue.clear();
    }
  }
}
