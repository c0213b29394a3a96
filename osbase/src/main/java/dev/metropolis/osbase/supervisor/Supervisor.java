package dev.metropolis.osbase.supervisor;

import dev.metropolis.osbase.logtree.DN;
import dev.metropolis.osbase.logtree.LogTree;
import dev.metropolis.osbase.logtree.Logger;
import java.io.InterruptedIOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.channels.ClosedByInterruptException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An Erlang/OTP-style supervision tree of {@link SupervisedRunnable}s, one virtual thread each.
 *
 * <p>All tree state belongs to one processor thread, fed by a queue of events (children declared,
 * signals, exits, backoff timers, queries, shutdown); runnables and callers only submit events.
 * There are no locks spread over the nodes, and the restart rules below are plain sequential code.
 *
 * <p>Restart rule: when a runnable dies, its context and its whole subtree are cancelled, and so
 * are its group siblings. Once every thread in a cancelled subtree has exited, and the parent of
 * that subtree is still alive (not cancelled), the subtree is restarted as a whole: its children
 * are dropped and it runs again, re-declaring them. Because cancellation always covers a whole
 * subtree, the cancelled node whose parent is alive is the top of the largest stopped subtree, so
 * no part of it is restarted on its own while an ancestor is still winding down. A DEAD node is
 * restarted after an exponential backoff; a cancelled one at once.
 *
 * <p>See {@code osbase/README.md} for why the design is what it is.
 */
public final class Supervisor implements AutoCloseable {
  private final LogTree logs;
  private final Options options;
  private final Logger log;
  private final LinkedBlockingQueue<Event> queue = new LinkedBlockingQueue<>();
  private final CompletableFuture<Void> terminatedFuture = new CompletableFuture<>();
  private final AtomicBoolean shutdownRequested = new AtomicBoolean();
  private final Thread processor;
  private volatile boolean terminated;
  private volatile List<RunnableInfo> finalSnapshot = List.of();

  // Owned by the processor thread.
  private final Node root;
  private final Set<Node> cancelRoots = new LinkedHashSet<>();
  private final List<CompletableFuture<Void>> settleWaiters = new ArrayList<>();
  private boolean shuttingDown;
  private long shutdownStartNanos;
  private int running;
  private long lastChangeNanos;
  private boolean dirty;

  private sealed interface Event {}

  private record Declare(Context parent, Map<String, SupervisedRunnable> members)
      implements Event {}

  private record Signal(Context ctx, RunnableState to) implements Event {}

  /** A runnable's thread finished; {@code error} is empty when it returned normally. */
  private record Exited(Context ctx, Optional<Throwable> error) implements Event {}

  private record TimerFired(Node node, long generation) implements Event {}

  private record SnapshotRequest(CompletableFuture<List<RunnableInfo>> result) implements Event {}

  private record SettleRequest(CompletableFuture<Void> result) implements Event {}

  private record ShutdownRequest() implements Event {}

  private Supervisor(LogTree logs, SupervisedRunnable rootRunnable, Options options) {
    this.logs = logs;
    this.options = options;
    this.log = logs.logger(options.logDN());
    this.root = new Node(null, options.rootDN(), rootRunnable, options.backoff());
    this.processor = Thread.ofPlatform().daemon().name("supervisor").unstarted(this::loop);
  }

  /** Starts a supervision tree whose root runnable runs at {@code root}, with default options. */
  public static Supervisor start(LogTree logs, SupervisedRunnable root) {
    return start(logs, root, Options.defaults());
  }

  /** Starts a supervision tree whose root runnable runs at {@link Options#rootDN()}. */
  public static Supervisor start(LogTree logs, SupervisedRunnable root, Options options) {
    Supervisor s = new Supervisor(logs, root, options);
    s.processor.start();
    return s;
  }

  LogTree logs() {
    return logs;
  }

  /** Every runnable in the tree with its state and restart count, sorted by DN. */
  public List<RunnableInfo> snapshot() {
    CompletableFuture<List<RunnableInfo>> f = new CompletableFuture<>();
    submit(new SnapshotRequest(f));
    return f.join();
  }

  /**
   * Waits until the tree has settled: every event submitted before this call has been processed, no
   * restart is due now, and nothing has changed for {@link Options#settleQuiet()}. Restarts waiting
   * for a backoff timer do not count as due: the tree is settled until time passes.
   *
   * @throws TimeoutException when the tree keeps changing for longer than {@code timeout}
   */
  public void awaitSettled(Duration timeout) throws InterruptedException, TimeoutException {
    CompletableFuture<Void> f = new CompletableFuture<>();
    submit(new SettleRequest(f));
    try {
      f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      f.cancel(false);
      throw new TimeoutException("supervision tree did not settle within " + timeout);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  /**
   * Cancels every runnable and waits up to {@code bound} for all of them to exit. Nothing is
   * restarted once shutdown has begun. Runnables still running after the bound are named in the
   * result and in the log (at the supervisor's DN and at their own); the supervisor keeps waiting
   * for them in the background. Calling it again waits again.
   */
  public ShutdownResult shutdown(Duration bound) throws InterruptedException {
    if (shutdownRequested.compareAndSet(false, true)) {
      submit(new ShutdownRequest());
    }
    try {
      terminatedFuture.get(bound.toNanos(), TimeUnit.NANOSECONDS);
      return new ShutdownResult(List.of());
    } catch (TimeoutException e) {
      List<DN> hung = snapshot().stream().filter(RunnableInfo::running).map(i -> i.dn()).toList();
      if (hung.isEmpty()) {
        return new ShutdownResult(List.of()); // exited just after the bound
      }
      log.error(
          "shutdown: %d runnable(s) did not exit within %s of cancellation: %s",
          hung.size(), bound, String.join(", ", hung.stream().map(DN::value).toList()));
      for (DN dn : hung) {
        logs.logger(dn).error("did not exit within %s of cancellation (shutdown)", bound);
      }
      return new ShutdownResult(hung);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  /** {@link #shutdown} with {@link Options#shutdownBound()}; hung runnables are only logged. */
  @Override
  public void close() {
    try {
      var _ = shutdown(options.shutdownBound());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---- submission (any thread) ----

  void submitChildren(Context parent, Map<String, SupervisedRunnable> members) {
    submit(new Declare(parent, members));
  }

  void submitSignal(Context ctx, RunnableState to) {
    submit(new Signal(ctx, to));
  }

  private void submit(Event e) {
    queue.add(e);
    // Once the processor has gone, answer queries here. The processor sets the flag before its
    // last drain, so every event is seen by it or by this check.
    if (terminated) {
      drainAfterTermination();
    }
  }

  private void drainAfterTermination() {
    Event e;
    while ((e = queue.poll()) != null) {
      switch (e) {
        case SnapshotRequest r -> r.result().complete(finalSnapshot);
        case SettleRequest r -> r.result().complete(null);
        default -> {} // stale signals and declarations of leaked contexts
      }
    }
  }

  // ---- the processor ----

  private void loop() {
    lastChangeNanos = System.nanoTime();
    start(root);
    while (true) {
      Event e = next();
      while (e != null) {
        try {
          handle(e);
        } catch (RuntimeException ex) {
          log.error("processing %s failed: %s", e.getClass().getSimpleName(), stackTrace(ex));
        }
        e = queue.poll();
      }
      if (dirty) {
        dirty = false;
        try {
          gc();
        } catch (RuntimeException ex) {
          log.error("restart pass failed: %s", stackTrace(ex));
        }
      }
      if (shuttingDown && running == 0) {
        terminate();
        return;
      }
      completeSettled();
    }
  }

  private Event next() {
    settleWaiters.removeIf(CompletableFuture::isDone);
    try {
      if (settleWaiters.isEmpty()) {
        return queue.take();
      }
      long quietLeft = options.settleQuiet().toNanos() - (System.nanoTime() - lastChangeNanos);
      return queue.poll(Math.max(quietLeft, 0), TimeUnit.NANOSECONDS);
    } catch (InterruptedException ex) {
      return null; // nobody interrupts the processor; just go round again
    }
  }

  private void handle(Event e) {
    switch (e) {
      case Declare d -> declare(d);
      case Signal s -> signal(s);
      case Exited x -> exited(x);
      case TimerFired t -> timerFired(t);
      case SnapshotRequest r -> r.result().complete(snapshotNow());
      case SettleRequest r -> {
        if (shuttingDown) {
          r.result().complete(null);
        } else {
          settleWaiters.add(r.result());
        }
      }
      case ShutdownRequest _ -> beginShutdown();
    }
  }

  private void completeSettled() {
    if (settleWaiters.isEmpty() || !queue.isEmpty()) {
      return;
    }
    if (System.nanoTime() - lastChangeNanos >= options.settleQuiet().toNanos()) {
      for (CompletableFuture<Void> f : settleWaiters) {
        f.complete(null);
      }
      settleWaiters.clear();
    }
  }

  private void changed() {
    lastChangeNanos = System.nanoTime();
  }

  private void start(Node n) {
    Context ctx = new Context(this, n);
    n.ctx = ctx;
    n.running = true;
    n.starts++;
    running++;
    for (Node a = n; a != null; a = a.parent) {
      a.live++;
    }
    transition(n, RunnableState.NEW);
    SupervisedRunnable runnable = n.runnable;
    Thread t = Thread.ofVirtual().name(n.dn.value()).unstarted(() -> body(ctx, runnable));
    ctx.thread = t;
    t.start();
  }

  // Runs on the runnable's own thread.
  private void body(Context ctx, SupervisedRunnable runnable) {
    Throwable error = null;
    try {
      runnable.run(ctx);
    } catch (Throwable t) { // a runnable may fail in any way; the supervisor classifies it
      error = t;
    }
    ctx.markExited();
    submit(new Exited(ctx, Optional.ofNullable(error)));
  }

  private void declare(Declare d) {
    Context pctx = d.parent();
    Node p = pctx.node;
    if (p.ctx != pctx || !p.running || pctx.isCancelled()) {
      return; // the parent is winding down: its restart re-declares the children
    }
    List<Node> group = new ArrayList<>(d.members().size());
    for (Map.Entry<String, SupervisedRunnable> m : d.members().entrySet()) {
      group.add(new Node(p, p.dn.child(m.getKey()), m.getValue(), options.backoff()));
    }
    List<Node> members = List.copyOf(group);
    for (Node c : members) {
      c.group = members;
      p.children.put(c.dn.name(), c);
    }
    for (Node c : members) {
      start(c);
    }
  }

  private void signal(Signal s) {
    Node n = s.ctx().node;
    if (n.ctx != s.ctx() || !n.running) {
      return;
    }
    n.backoff.reset();
    transition(n, s.to());
  }

  private void exited(Exited x) {
    Context ctx = x.ctx();
    Node n = ctx.node;
    if (n.ctx != ctx || !n.running) {
      return;
    }
    n.running = false;
    running--;
    for (Node a = n; a != null; a = a.parent) {
      a.live--;
    }
    dirty = true;
    Throwable error = x.error().orElse(null);
    RunnableState phase = ctx.state();
    if (error == null && phase == RunnableState.DONE) {
      transition(n, RunnableState.DONE);
      return;
    }
    if (ctx.isCancelled()) {
      if (error != null && !isCancellation(error)) {
        ctx.logger().warning("exited with an error after cancellation: %s", error);
      }
      transition(n, RunnableState.CANCELED);
      return;
    }
    String why;
    if (error == null) {
      why = "returned without signalling Done (state " + phase + ")";
      n.lastError = why;
    } else {
      why = stackTrace(error);
      n.lastError = String.valueOf(error).lines().findFirst().orElse("");
    }
    ctx.logger().fatal("runnable died: %s", why);
    transition(n, RunnableState.DEAD);
    cancelSubtree(n);
    cancelRoots.add(n);
    for (Node sibling : n.group) {
      if (sibling != n && sibling.ctx != null && !sibling.ctx.isCancelled()) {
        cancelSubtree(sibling);
        cancelRoots.add(sibling);
      }
    }
  }

  private void timerFired(TimerFired t) {
    Node n = t.node();
    if (n.detached || n.generation != t.generation() || n.running) {
      return;
    }
    n.timer = null;
    if (shuttingDown || (n.parent != null && n.parent.cancelled())) {
      return; // the parent's restart will create it anew
    }
    start(n);
  }

  /**
   * Restarts the largest stopped subtrees whose parent is alive. A node enters {@link #cancelRoots}
   * when it is cancelled on its own account (it died, or a group sibling did); every node below it
   * is cancelled with it. So a member whose parent is alive is the top of its cancelled subtree,
   * and one whose parent is cancelled is covered by an ancestor member.
   */
  private void gc() {
    if (shuttingDown) {
      return;
    }
    for (Iterator<Node> it = cancelRoots.iterator(); it.hasNext(); ) {
      Node n = it.next();
      if (n.detached || (n.parent != null && n.parent.cancelled())) {
        it.remove();
        continue;
      }
      if (n.live > 0) {
        continue; // part of the subtree is still winding down
      }
      it.remove();
      restart(n);
    }
  }

  private void restart(Node n) {
    n.generation++;
    for (Node c : n.children.values()) {
      detach(c);
    }
    n.children.clear();
    changed();
    if (n.state != RunnableState.DEAD) {
      start(n);
      return;
    }
    Duration delay = n.backoff.next(options.jitter().getAsDouble());
    log.info("%s died; restarting in %s", n.dn, delay);
    long generation = n.generation;
    n.timer = options.time().schedule(delay, () -> submit(new TimerFired(n, generation)));
  }

  private static void detach(Node n) {
    n.detached = true;
    if (n.timer != null) {
      n.timer.cancel();
      n.timer = null;
    }
    for (Node c : n.children.values()) {
      detach(c);
    }
  }

  private static void cancelSubtree(Node top) {
    Deque<Node> todo = new ArrayDeque<>();
    todo.push(top);
    while (!todo.isEmpty()) {
      Node n = todo.pop();
      if (n.ctx != null) {
        n.ctx.cancel();
      }
      for (Node c : n.children.values()) {
        todo.push(c);
      }
    }
  }

  private void beginShutdown() {
    if (shuttingDown) {
      return;
    }
    shuttingDown = true;
    shutdownStartNanos = System.nanoTime();
    changed();
    log.info("shutting down: cancelling %d running runnable(s)", running);
    cancelSubtree(root);
    Deque<Node> todo = new ArrayDeque<>();
    todo.push(root);
    while (!todo.isEmpty()) {
      Node n = todo.pop();
      if (n.timer != null) {
        n.timer.cancel();
        n.timer = null;
      }
      todo.addAll(n.children.values());
    }
    for (CompletableFuture<Void> f : settleWaiters) {
      f.complete(null);
    }
    settleWaiters.clear();
  }

  private void terminate() {
    finalSnapshot = snapshotNow();
    terminated = true;
    drainAfterTermination();
    log.info(
        "shutdown complete after %d ms",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - shutdownStartNanos));
    terminatedFuture.complete(null);
  }

  private void transition(Node n, RunnableState to) {
    RunnableState from = n.state;
    n.state = to;
    changed();
    try {
      options.listener().accept(new Transition(n.dn, from, to, n.restarts()));
    } catch (RuntimeException e) {
      log.warning("transition listener failed: %s", e);
    }
  }

  private List<RunnableInfo> snapshotNow() {
    List<RunnableInfo> out = new ArrayList<>();
    Deque<Node> todo = new ArrayDeque<>();
    todo.push(root);
    while (!todo.isEmpty()) {
      Node n = todo.pop();
      out.add(
          new RunnableInfo(
              n.dn, n.state, n.restarts(), n.running, Optional.ofNullable(n.lastError)));
      todo.addAll(n.children.values());
    }
    out.sort(Comparator.comparing(RunnableInfo::dn));
    return List.copyOf(out);
  }

  private static boolean isCancellation(Throwable t) {
    Throwable c = t;
    for (int depth = 0; c != null && depth < 16; depth++, c = c.getCause()) {
      if (c instanceof CancellationException
          || c instanceof InterruptedException
          || c instanceof InterruptedIOException
          || c instanceof ClosedByInterruptException) {
        return true;
      }
    }
    return false;
  }

  private static String stackTrace(Throwable t) {
    StringWriter w = new StringWriter();
    t.printStackTrace(new PrintWriter(w));
    return w.toString().stripTrailing();
  }
}
