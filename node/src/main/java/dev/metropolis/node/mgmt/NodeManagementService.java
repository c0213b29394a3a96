package dev.metropolis.node.mgmt;

import dev.metropolis.api.nodemanagement.GetLogsRequest;
import dev.metropolis.api.nodemanagement.GetLogsResponse;
import dev.metropolis.api.nodemanagement.GetRunnablesRequest;
import dev.metropolis.api.nodemanagement.GetRunnablesResponse;
import dev.metropolis.api.nodemanagement.NodeManagementGrpc;
import dev.metropolis.api.nodemanagement.RebootRequest;
import dev.metropolis.api.nodemanagement.RebootResponse;
import dev.metropolis.api.nodemanagement.UpdateNodeRequest;
import dev.metropolis.api.nodemanagement.UpdateNodeResponse;
import dev.metropolis.osbase.logtree.LogReader;
import dev.metropolis.osbase.logtree.LogTree;
import dev.metropolis.osbase.logtree.ReadOptions;
import dev.metropolis.osbase.supervisor.RunnableInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * NodeManagement on one node: its log tree ({@code Logs}) and its supervision tree ({@code
 * GetRunnables}). Authorization is the interceptor's, from the methods' declared permissions.
 * Updates and reboots need the machine platform (A/B slots, kexec) and answer UNIMPLEMENTED.
 */
public final class NodeManagementService extends NodeManagementGrpc.NodeManagementImplBase {
  private final LogTree logs;
  private final Supplier<List<RunnableInfo>> runnables;
  private final int buffer;
  private final Set<LogStream> open = ConcurrentHashMap.newKeySet();
  private final AtomicLong streams = new AtomicLong();

  /**
   * @param buffer live entries that may wait for one slow reader before entries are dropped
   */
  public NodeManagementService(LogTree logs, Supplier<List<RunnableInfo>> runnables, int buffer) {
    this.logs = logs;
    this.runnables = runnables;
    this.buffer = buffer;
  }

  public NodeManagementService(LogTree logs, Supplier<List<RunnableInfo>> runnables) {
    this(logs, runnables, ReadOptions.DEFAULT_BUFFER);
  }

  /** What one open Logs call holds, for tests and metrics. */
  public record StreamStats(long sent, int buffered, long missed, long pauses) {}

  /** The open Logs calls. */
  public List<StreamStats> openStreams() {
    return open.stream()
        .map(s -> new StreamStats(s.sent(), s.buffered(), s.missed(), s.pauses()))
        .toList();
  }

  @Override
  public void logs(GetLogsRequest request, StreamObserver<GetLogsResponse> responseObserver) {
    LogRequests.Read read;
    try {
      read = LogRequests.parse(request, buffer);
    } catch (StatusRuntimeException e) {
      responseObserver.onError(e);
      return;
    }
    if (!logs.exists(read.dn())) {
      responseObserver.onError(
          Status.NOT_FOUND
              .withDescription("no log at DN \"" + read.dn() + "\" on this node")
              .asRuntimeException());
      return;
    }
    LogReader reader = logs.read(read.dn(), read.options());
    var out = (ServerCallStreamObserver<GetLogsResponse>) responseObserver;
    LogStream stream = new LogStream(reader, out, read.options().stream());
    open.add(stream);
    Thread.ofVirtual()
        .name("logs-" + streams.incrementAndGet())
        .start(() -> {
          try {
            stream.run();
          } finally {
            open.remove(stream);
          }
        });
  }

  @Override
  public void getRunnables(
      GetRunnablesRequest request, StreamObserver<GetRunnablesResponse> responseObserver) {
    var resp = GetRunnablesResponse.newBuilder();
    runnables.get().stream()
        .sorted(Comparator.comparing(RunnableInfo::dn))
        .forEach(r ->
            resp.addRunnables(
                GetRunnablesResponse.Runnable.newBuilder()
                    .setDn(r.dn().value())
                    .setState(r.state().name())
                    .setRestarts(r.restarts())));
    responseObserver.onNext(resp.build());
    responseObserver.onCompleted();
  }

  @Override
  public void updateNode(
      UpdateNodeRequest request, StreamObserver<UpdateNodeResponse> responseObserver) {
    responseObserver.onError(
        Status.UNIMPLEMENTED
            .withDescription(
                "UpdateNode is not implemented: hosted nodes have no A/B system slots to install"
                    + " into")
            .asRuntimeException());
  }

  @Override
  public void reboot(RebootRequest request, StreamObserver<RebootResponse> responseObserver) {
    responseObserver.onError(
        Status.UNIMPLEMENTED
            .withDescription(
                "Reboot is not implemented: a hosted node is a process; restart it from its host")
            .asRuntimeException());
  }
}
