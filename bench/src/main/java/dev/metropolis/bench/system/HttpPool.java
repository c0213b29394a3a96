package dev.metropolis.bench.system;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * A load generator's connection pool: a few HTTP/2 connections (one JDK client each), at most
 * {@code streams} requests in flight on each, and a FIFO queue for the rest. The JDK client fails a
 * request outright ("too many concurrent streams") once a connection is at the server's stream
 * limit, where Go's client would wait or open another connection; queueing here instead keeps an
 * open-loop benchmark honest, since the time a request waits counts in its latency.
 */
final class HttpPool implements AutoCloseable {
  private final List<HttpClient> clients;
  private final int[] inFlight;
  private final int streams;
  private final Queue<Runnable> waiting = new ArrayDeque<>();

  HttpPool(int connections, int streams, Supplier<HttpClient> client) {
    this.clients = java.util.stream.Stream.generate(client).limit(connections).toList();
    this.inFlight = new int[connections];
    this.streams = streams;
  }

  CompletableFuture<HttpResponse<String>> send(HttpRequest r) {
    CompletableFuture<HttpResponse<String>> result = new CompletableFuture<>();
    Runnable start = null;
    synchronized (this) {
      int c = leastBusy();
      if (inFlight[c] < streams) {
        inFlight[c]++;
        start = () -> dispatch(c, r, result);
      } else {
        waiting.add(() -> {
          var _ = send(r).whenComplete((v, e) -> complete(result, v, e));
        });
      }
    }
    if (start != null) {
      start.run();
    }
    return result;
  }

  private void dispatch(int c, HttpRequest r, CompletableFuture<HttpResponse<String>> result) {
    var _ =
        clients
            .get(c)
            .sendAsync(r, HttpResponse.BodyHandlers.ofString())
            .whenComplete((v, e) -> {
              Runnable next;
              synchronized (this) {
                inFlight[c]--;
                next = waiting.poll();
              }
              complete(result, v, e);
              if (next != null) {
                next.run();
              }
            });
  }

  private static <T> void complete(CompletableFuture<T> f, T v, Throwable e) {
    if (e != null) {
      f.completeExceptionally(e);
    } else {
      f.complete(v);
    }
  }

  private int leastBusy() {
    int best = 0;
    for (int i = 1; i < inFlight.length; i++) {
      if (inFlight[i] < inFlight[best]) {
        best = i;
      }
    }
    return best;
  }

  @Override
  public void close() {
    clients.forEach(HttpClient::close);
  }
}
