package dev.metropolis.rpc;

import com.google.protobuf.ByteString;
import dev.metropolis.rpc.testproto.AuthzTestGrpc;
import dev.metropolis.rpc.testproto.Ping;
import dev.metropolis.rpc.testproto.Pong;
import io.grpc.stub.StreamObserver;

/** Answers every method with what it saw of the caller. */
final class TestService extends AuthzTestGrpc.AuthzTestImplBase {
  static Pong describeCaller() {
    Pong.Builder b = Pong.newBuilder();
    switch (RpcPeer.current()) {
      case Peer.Node n -> b.setPeerKind("node").setIdentity(n.nodeId());
      case Peer.User u -> b.setPeerKind("user").setIdentity(u.identity());
      case Peer.Unauthenticated u -> {
        b.setPeerKind("unauthenticated");
        u.selfSignedPublicKey()
            .ifPresent(k -> b.setSawSelfSignedKey(true).setSelfSignedKey(ByteString.copyFrom(k)));
      }
    }
    return b.build();
  }

  private static void answer(StreamObserver<Pong> out) {
    out.onNext(describeCaller());
    out.onCompleted();
  }

  @Override
  public void noOption(Ping request, StreamObserver<Pong> out) {
    answer(out);
  }

  @Override
  public void unauthenticated(Ping request, StreamObserver<Pong> out) {
    answer(out);
  }

  @Override
  public void anyAuthenticated(Ping request, StreamObserver<Pong> out) {
    answer(out);
  }

  @Override
  public void readClusterStatus(Ping request, StreamObserver<Pong> out) {
    answer(out);
  }

  @Override
  public void approveNode(Ping request, StreamObserver<Pong> out) {
    answer(out);
  }

  @Override
  public void nodeOnly(Ping request, StreamObserver<Pong> out) {
    answer(out);
  }

  @Override
  public void stream(Ping request, StreamObserver<Pong> out) {
    for (int i = 0; i < 3; i++) {
      out.onNext(describeCaller());
    }
    out.onCompleted();
  }
}
