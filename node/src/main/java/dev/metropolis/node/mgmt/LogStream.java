package dev.metropolis.node.mgmt;

import dev.metropolis.api.nodemanagement.GetLogsResponse;
import dev.metropolis.osbase.logtree.LogEntry;
import dev.metropolis.osbase.logtree.LogReader;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Sends one Logs call's entries: the backlog in batches, then (when streaming) live entries as they
 * come. It sends only while gRPC says the call is ready, so a slow or stalled reader costs at most
 * the log reader's bounded buffer plus gRPC's own flow-control window: while the call is not ready
 * nothing is taken from the reader, its buffer fills and further entries are dropped and counted
 * ({@link #missed()}) rather than queued. Runs on its own thread, since gRPC delivers the readiness
 * callbacks on the call's serialized executor, which a blocked handler would hold.
 */
final class LogStream implements Runnable {
  /** Entries per response message. */
  static final int BATCH = 128;

  private final LogReader reader;
  private final ServerCallStreamObserver<GetLogsResponse> out;
  private final boolean stream;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition readyOrCancelled = lock.newCondition();
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong waits = new AtomicLong();
  private boolean cancelled;

  /** Must be called on the handler's thread, before it returns: it installs the callbacks. */
  LogStream(LogReader reader, ServerCallStreamObserver<GetLogsResponse> out, boolean stream) {
    this.reader = reader;
    this.out = out;
    this.stream = stream;
    out.setOnReadyHandler(this::wake);
    out.setOnCancelHandler(() -> {
      lock.lock();
      try {
        cancelled = true;
        readyOrCancelled.signalAll();
      } finally {
        lock.unlock();
      }
      // Makes a take() blocked in the sending thread return.
      reader.close();
    });
  }

  /** Entries sent so far. */
  long sent() {
    return sent.get();
  }

  /** Live entries waiting in the reader's buffer; never more than its bound. */
  int buffered() {
    return reader.buffered();
  }

  /** Live entries dropped because this reader did not keep up. */
  long missed() {
    return reader.missed();
  }

  /** How many times the sender found the call not ready and paused (back-pressure). */
  long pauses() {
    return waits.get();
  }

  private void wake() {
    lock.lock();
    try {
      readyOrCancelled.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Waits until the call can take a message; false once it is cancelled. */
  private boolean awaitReady() throws InterruptedException {
    lock.lock();
    try {
      boolean paused = false;
      while (!cancelled && !out.isReady()) {
        if (!paused) {
          waits.incrementAndGet();
          paused = true;
        }
        // The onReady callback wakes us; the timeout only guards against a missed signal.
        readyOrCancelled.await(1, TimeUnit.SECONDS);
      }
      return !cancelled;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void run() {
    try {
      List<LogEntry> backlog = reader.backlog();
      for (int i = 0; i < backlog.size(); i += BATCH) {
        if (!awaitReady()) {
          return;
        }
        var msg = GetLogsResponse.newBuilder();
        for (LogEntry e : backlog.subList(i, Math.min(backlog.size(), i + BATCH))) {
          msg.addBacklogEntries(LogRequests.toProto(e));
        }
        out.onNext(msg.build());
        sent.addAndGet(msg.getBacklogEntriesCount());
      }
      if (!stream) {
        out.onCompleted();
        return;
      }
      List<LogEntry> batch = new ArrayList<>(BATCH);
      while (awaitReady()) {
        LogEntry e = reader.take();
        if (e == null) {
          return;
        }
        batch.add(e);
        while (batch.size() < BATCH && (e = reader.poll(0, TimeUnit.NANOSECONDS)) != null) {
          batch.add(e);
        }
        var msg = GetLogsResponse.newBuilder();
        for (LogEntry b : batch) {
          msg.addStreamEntries(LogRequests.toProto(b));
        }
        batch.clear();
        out.onNext(msg.build());
        sent.addAndGet(msg.getStreamEntriesCount());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      out.onError(Status.UNAVAILABLE.withDescription("node is shutting down").asException());
    } catch (RuntimeException e) {
      // The call may have been cancelled meanwhile; reporting to a closed call throws again.
      if (!isCancelled()) {
        out.onError(Status.INTERNAL.withDescription("log stream failed: " + e).asException());
      }
    } finally {
      reader.close();
    }
  }

  private boolean isCancelled() {
    lock.lock();
    try {
      return cancelled;
    } finally {
      lock.unlock();
    }
  }
}
