package dev.metropolis.node.curator;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/** Maps failures inside curator handlers to gRPC statuses, in one place. */
final class Rpc {
  private Rpc() {}

  interface Body<T> {
    T call() throws Exception;
  }

  /** Runs a unary handler body and completes {@code out} with its result or a mapped status. */
  static <T> void unary(StreamObserver<T> out, Body<T> body) {
    T result;
    try {
      result = body.call();
    } catch (Exception e) {
      out.onError(toStatus(e));
      return;
    }
    out.onNext(result);
    out.onCompleted();
  }

  static StatusRuntimeException toStatus(Throwable e) {
    if (e instanceof ExecutionException && e.getCause() != null) {
      e = e.getCause();
    }
    return switch (e) {
      case StatusRuntimeException s -> s;
      case LostLeadershipException l ->
          Status.UNAVAILABLE.withDescription("lost leadership").asRuntimeException();
      case NodeFilter.InvalidFilterException f ->
          Status.INVALID_ARGUMENT.withDescription(f.getMessage()).asRuntimeException();
      case IllegalArgumentException a ->
          Status.INVALID_ARGUMENT.withDescription(a.getMessage()).asRuntimeException();
      case TimeoutException t ->
          Status.UNAVAILABLE
              .withDescription("consensus did not answer in time")
              .asRuntimeException();
      case InterruptedException i -> {
        Thread.currentThread().interrupt();
        yield Status.CANCELLED.withDescription("interrupted").asRuntimeException();
      }
      case io.etcd.jetcd.common.exception.EtcdException x ->
          Status.UNAVAILABLE
              .withDescription("consensus unavailable: " + x.getMessage())
              .asRuntimeException();
      default -> Status.INTERNAL.withDescription(e.toString()).withCause(e).asRuntimeException();
    };
  }
}
