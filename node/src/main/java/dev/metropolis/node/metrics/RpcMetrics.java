package dev.metropolis.node.metrics;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts a gRPC server's calls by method and status code and times them by method (a histogram of
 * seconds from the call's start to its close; for streams that is the stream's life). Installed on
 * the curator listener as the outermost interceptor, so refusals by the authorization interceptor
 * count too.
 */
public final class RpcMetrics implements ServerInterceptor {
  static final double[] BUCKETS = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60
  };

  private final String prefix;
  private final ConcurrentHashMap<Key, LongAdder> calls = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Histogram> latency = new ConcurrentHashMap<>();

  /** {@code prefix}, e.g. {@code metropolis_curator_rpc}, names the families. */
  public RpcMetrics(String prefix) {
    this.prefix = prefix;
  }

  private record Key(String method, String code) {}

  private static final class Histogram {
    final AtomicLongArray buckets = new AtomicLongArray(BUCKETS.length);
    final LongAdder count = new LongAdder();
    final DoubleAdder sum = new DoubleAdder();

    void observe(double seconds) {
      for (int i = 0; i < BUCKETS.length; i++) {
        if (seconds <= BUCKETS[i]) {
          buckets.incrementAndGet(i);
          break;
        }
      }
      count.increment();
      sum.add(seconds);
    }
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    long start = System.nanoTime();
    String method = call.getMethodDescriptor().getFullMethodName();
    return next.startCall(
        new SimpleForwardingServerCall<>(call) {
          @Override
          public void close(Status status, Metadata trailers) {
            record(method, status.getCode(), (System.nanoTime() - start) / 1e9);
            super.close(status, trailers);
          }
        },
        headers);
  }

  void record(String method, Status.Code code, double seconds) {
    calls.computeIfAbsent(new Key(method, code.name()), k -> new LongAdder()).increment();
    latency.computeIfAbsent(method, k -> new Histogram()).observe(seconds);
  }

  /** Writes the two families: {@code <prefix>_requests_total} and {@code _duration_seconds}. */
  public void write(Exposition out) {
    out.family(prefix + "_requests_total", "counter", "gRPC calls finished, by method and code.");
    var sorted = new TreeMap<String, Map<String, Long>>();
    calls.forEach(
        (k, v) -> sorted.computeIfAbsent(k.method(), m -> new TreeMap<>()).put(k.code(), v.sum()));
    sorted.forEach((method, codes) ->
        codes.forEach((code, n) ->
            out.sample(prefix + "_requests_total", Map.of("method", method, "code", code), n)));
    String h = prefix + "_duration_seconds";
    out.family(h, "histogram", "gRPC call duration from start to close, by method.");
    new TreeMap<>(latency)
        .forEach((method, hist) -> {
          long cumulative = 0;
          for (int i = 0; i < BUCKETS.length; i++) {
            cumulative += hist.buckets.get(i);
            out.sample(
                h + "_bucket",
                labels("method", method, "le", Exposition.number(BUCKETS[i])),
                cumulative);
          }
          long count = hist.count.sum();
          out.sample(h + "_bucket", labels("method", method, "le", "+Inf"), count);
          out.sample(h + "_sum", Map.of("method", method), hist.sum.sum());
          out.sample(h + "_count", Map.of("method", method), count);
        });
  }

  // Ordered, so "le" comes after "method" as Prometheus clients print it.
  private static Map<String, String> labels(String k1, String v1, String k2, String v2) {
    var m = new java.util.LinkedHashMap<String, String>();
    m.put(k1, v1);
    m.put(k2, v2);
    return m;
  }
}
