package dev.metropolis.kubernetes.apiserver.api;

import dev.metropolis.kubernetes.apiserver.http.Exchange;
import dev.metropolis.kubernetes.apiserver.registry.ResourceType;
import dev.metropolis.kubernetes.apiserver.storage.Store;
import io.etcd.jetcd.Watch;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import tools.jackson.databind.node.ObjectNode;

/**
 * Watch streams: chunked newline-separated WatchEvents fed by an etcd watch of the collection's
 * prefix from the requested revision. Without a resourceVersion (or with "0") the stream starts
 * with a synthetic ADDED per existing object. A compacted revision ends the stream with an ERROR
 * event carrying a 410 Expired status, after which clients re-list.
 */
final class Watches {
  /** Default stream lifetime when the client sets no timeoutSeconds (upstream: 30-60 min). */
  private static final long DEFAULT_TIMEOUT_SECONDS = 1800;

  private static final Duration BOOKMARK_INTERVAL = Duration.ofSeconds(30);

  private final Resources resources;
  private final Store store;
  private final Clock clock;

  Watches(Resources resources, Store store, Clock clock) {
    this.resources = resources;
    this.store = store;
    this.clock = clock;
  }

  /** What one watch request asked for. */
  record Spec(
      ResourceType type,
      String namespace,
      Predicate<ObjectNode> filter,
      String resourceVersion,
      boolean bookmarks,
      long timeoutSeconds,
      boolean table) {}

  private sealed interface Signal {}

  private record Changes(List<Store.Change> changes, long revision) implements Signal {}

  private record Ended(long compactedRevision) implements Signal {}

  void serve(Spec spec, Exchange exchange) {
    long from;
    Emitter emitter;
    String rv = spec.resourceVersion();
    List<ObjectNode> initial = List.of();
    if (rv.isEmpty() || rv.equals("0")) {
      Resources.ListPage page = resources.list(spec.type(), spec.namespace(), spec.filter(), 0, "");
      initial = page.items();
      from = page.revision() + 1;
    } else {
      try {
        from = Long.parseLong(rv) + 1;
      } catch (NumberFormatException e) {
        throw ApiException.badRequest("invalid resource version: " + rv);
      }
    }
    Exchange.Stream stream =
        exchange.stream(spec.table() ? Tables.CONTENT_TYPE : "application/json");
    emitter = new Emitter(spec, stream, from - 1);
    for (ObjectNode o : initial) {
      emitter.event("ADDED", o);
    }
    BlockingQueue<Signal> queue = new LinkedBlockingQueue<>();
    Watch.Watcher watcher =
        store.watch(
            resources.collection(spec.type(), spec.namespace()),
            from,
            new Store.WatchListener() {
              @Override
              public void onChanges(List<Store.Change> changes, long revision) {
                queue.add(new Changes(changes, revision));
              }

              @Override
              public void onEnd(long compactedRevision, Throwable error) {
                queue.add(new Ended(compactedRevision));
              }
            });
    stream.onClose(() -> queue.add(new Ended(-1)));
    Instant deadline =
        clock
            .instant()
            .plusSeconds(
                spec.timeoutSeconds() > 0 ? spec.timeoutSeconds() : DEFAULT_TIMEOUT_SECONDS);
    try {
      while (true) {
        Instant now = clock.instant();
        if (!now.isBefore(deadline)) {
          break;
        }
        Duration wait = Duration.between(now, deadline);
        if (spec.bookmarks() && wait.compareTo(BOOKMARK_INTERVAL) > 0) {
          wait = BOOKMARK_INTERVAL;
        }
        Signal s = queue.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
        if (s == null) {
          if (spec.bookmarks()) {
            emitter.bookmark();
          }
          continue;
        }
        if (s instanceof Ended e) {
          if (e.compactedRevision() > 0) {
            ObjectNode status =
                ApiException.gone(
                        "too old resource version: "
                            + (from - 1)
                            + " ("
                            + e.compactedRevision()
                            + ")")
                    .status();
            status.put("code", 410);
            emitter.raw("ERROR", status);
          }
          break;
        }
        Changes c = (Changes) s;
        for (Store.Change change : c.changes()) {
          emitter.change(change);
        }
        emitter.seen(c.revision());
        if (!emitter.open()) {
          break;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      watcher.close();
      stream.end();
    }
  }

  /** Writes events; in Table mode only the first event carries the column definitions. */
  private final class Emitter {
    private final Spec spec;
    private final Exchange.Stream stream;
    private long revision;
    private boolean headersSent;
    private boolean open = true;

    Emitter(Spec spec, Exchange.Stream stream, long revision) {
      this.spec = spec;
      this.stream = stream;
      this.revision = revision;
    }

    boolean open() {
      return open;
    }

    void seen(long rev) {
      revision = Math.max(revision, rev);
    }

    void change(Store.Change change) {
      ObjectNode o = resources.decodeStored(spec.type(), change.item());
      boolean matches = spec.filter().test(o);
      boolean matched = false;
      if (change.previous() != null) {
        matched =
            spec.filter()
                .test(
                    resources.decodeStored(spec.type(), new Store.Item("", change.previous(), 0)));
      }
      seen(change.item().modRevision());
      if (change.deleted()) {
        if (matches) {
          event("DELETED", o);
        }
      } else if (change.previous() == null) {
        if (matches) {
          event("ADDED", o);
        }
      } else if (matches && matched) {
        event("MODIFIED", o);
      } else if (matches) {
        event("ADDED", o);
      } else if (matched) {
        event("DELETED", o);
      }
    }

    void event(String type, ObjectNode o) {
      if (spec.table()) {
        ObjectNode table =
            Tables.table(
                spec.type(),
                List.of(o),
                Json.text(o, "metadata", "resourceVersion"),
                "",
                "Metadata",
                !headersSent,
                clock.instant());
        headersSent = true;
        raw(type, table);
      } else {
        raw(type, o);
      }
    }

    void bookmark() {
      ObjectNode o = Json.object();
      o.put("kind", spec.type().kind()).put("apiVersion", spec.type().apiVersion());
      o.putObject("metadata").put("resourceVersion", Long.toString(revision));
      raw("BOOKMARK", o);
    }

    void raw(String type, ObjectNode object) {
      ObjectNode e = Json.object();
      e.put("type", type);
      e.set("object", object);
      byte[] json = Json.bytes(e);
      byte[] line = new byte[json.length + 1];
      System.arraycopy(json, 0, line, 0, json.length);
      line[json.length] = '\n';
      open = stream.write(line) && open;
    }
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
