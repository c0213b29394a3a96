package dev.metropolis.osbase.logtree;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * A reader opened by {@link LogTree#read}: a fixed backlog, then (when streaming) live entries.
 * Live entries wait in a bounded buffer; when the reader falls behind, new entries are dropped and
 * counted in {@link #missed()} instead of growing memory or blocking the writers.
 *
 * <p>{@link #close} may be called from any thread: it unsubscribes the reader, frees its buffer and
 * makes a {@link #take} blocked in another thread return null, so a thread that streams a reader
 * stops when its owner closes it.
 */
public final class LogReader implements AutoCloseable {
  private final LogTree tree;
  private final Predicate<LogEntry> filter;
  private final List<LogEntry> backlog;
  private final boolean stream;
  private final int capacity;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition notEmpty = lock.newCondition();
  // Grows on demand up to capacity, so a large buffer costs nothing until a reader falls behind.
  private final ArrayDeque<LogEntry> queue = new ArrayDeque<>();
  private long missed;
  private boolean closed;

  LogReader(
      LogTree tree,
      Predicate<LogEntry> filter,
      List<LogEntry> backlog,
      boolean stream,
      int buffer) {
    this.tree = tree;
    this.filter = filter;
    this.backlog = List.copyOf(backlog);
    this.stream = stream;
    this.capacity = buffer;
    this.closed = !stream;
  }

  /** The backlog, oldest first, as of the moment the reader was opened. */
  public List<LogEntry> backlog() {
    return backlog;
  }

  // Called by the tree with its lock held, in append order.
  void offer(LogEntry e) {
    if (!filter.test(e)) {
      return;
    }
    lock.lock();
    try {
      if (closed) {
        return;
      }
      if (queue.size() >= capacity) {
        missed++;
      } else {
        queue.addLast(e);
        notEmpty.signal();
      }
    } finally {
      lock.unlock();
    }
  }

  /** The next live entry, waiting for it; null once the reader is closed. */
  public LogEntry take() throws InterruptedException {
    requireStream();
    lock.lockInterruptibly();
    try {
      while (queue.isEmpty()) {
        if (closed) {
          return null;
        }
        notEmpty.await();
      }
      return queue.pollFirst();
    } finally {
      lock.unlock();
    }
  }

  /** The next live entry, or null after the timeout or once the reader is closed. */
  public LogEntry poll(long timeout, TimeUnit unit) throws InterruptedException {
    requireStream();
    long left = unit.toNanos(timeout);
    lock.lockInterruptibly();
    try {
      while (queue.isEmpty()) {
        if (closed || left <= 0) {
          return null;
        }
        left = notEmpty.awaitNanos(left);
      }
      return queue.pollFirst();
    } finally {
      lock.unlock();
    }
  }

  /** Live entries dropped so far because this reader's buffer was full. */
  public long missed() {
    lock.lock();
    try {
      return missed;
    } finally {
      lock.unlock();
    }
  }

  /** Live entries currently buffered; never more than the buffer size asked for. */
  public int buffered() {
    lock.lock();
    try {
      return queue.size();
    } finally {
      lock.unlock();
    }
  }

  /** Whether {@link #close} was called (or the reader never streamed). */
  public boolean isClosed() {
    lock.lock();
    try {
      return closed;
    } finally {
      lock.unlock();
    }
  }

  private void requireStream() {
    if (!stream) {
      throw new IllegalStateException("reader was opened without streaming");
    }
  }

  @Override
  public void close() {
    tree.close(this);
    lock.lock();
    try {
      closed = true;
      queue.clear();
      notEmpty.signalAll();
    } finally {
      lock.unlock();
    }
  }
}
