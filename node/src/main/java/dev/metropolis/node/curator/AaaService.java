package dev.metropolis.node.curator;

import static dev.metropolis.node.curator.Keys.bs;

import com.google.protobuf.ByteString;
import dev.metropolis.api.aaa.AAAGrpc;
import dev.metropolis.api.aaa.EscrowRequest;
import dev.metropolis.api.aaa.EscrowResponse;
import dev.metropolis.api.aaa.ProofRequest;
import dev.metropolis.api.storage.InitialOwner;
import dev.metropolis.osbase.pki.CertificateTemplates;
import dev.metropolis.osbase.pki.Ed25519;
import dev.metropolis.rpc.Peer;
import dev.metropolis.rpc.RpcPeer;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Owner escrow: the holder of the key named at bootstrap trades proof of possession (a self-signed
 * TLS client certificate for that key) for the cluster's "owner" user certificate. The certificate
 * is ensured, so repeating the escrow returns the same certificate.
 */
public final class AaaService extends AAAGrpc.AAAImplBase {
  static final String OWNER = "owner";

  private final LeaderState leader;

  public AaaService(LeaderState leader) {
    this.leader = leader;
  }

  @Override
  public StreamObserver<EscrowRequest> escrow(StreamObserver<EscrowResponse> out) {
    Peer peer = RpcPeer.current();
    return new StreamObserver<>() {
      private boolean answered;

      @Override
      public void onNext(EscrowRequest req) {
        if (answered) {
          return;
        }
        answered = true;
        try {
          handle(peer, req, out);
        } catch (Exception e) {
          out.onError(Rpc.toStatus(e));
        }
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        if (!answered) {
          out.onError(
              Status.INVALID_ARGUMENT
                  .withDescription("no escrow parameters were sent")
                  .asRuntimeException());
        }
      }
    };
  }

  private void handle(Peer peer, EscrowRequest req, StreamObserver<EscrowResponse> out)
      throws Exception {
    var params = req.getParameters();
    if (!params.getRequestedIdentityName().equals(OWNER)) {
      throw Status.UNIMPLEMENTED
          .withDescription(
              "requested_identity_name: only \"owner\" can be escrowed, got \""
                  + params.getRequestedIdentityName()
                  + "\"")
          .asRuntimeException();
    }
    byte[] key = params.getPublicKey().toByteArray();
    if (key.length != Ed25519.KEY_SIZE) {
      throw Status.INVALID_ARGUMENT
          .withDescription("public_key: must be 32 bytes, got " + key.length)
          .asRuntimeException();
    }
    Optional<byte[]> presented =
        peer instanceof Peer.Unauthenticated u ? u.selfSignedPublicKey() : Optional.empty();
    if (presented.isEmpty()) {
      out.onNext(
          EscrowResponse.newBuilder()
              .addNeeded(
                  ProofRequest.newBuilder().setKind(ProofRequest.Kind.KIND_REFRESH_CERTIFICATE))
              .build());
      throw Status.UNAUTHENTICATED
          .withDescription("present a self-signed TLS client certificate for public_key")
          .asRuntimeException();
    }
    if (!MessageDigest.isEqual(presented.get(), key)) {
      throw Status.INVALID_ARGUMENT
          .withDescription("public_key does not match the key of the TLS client certificate")
          .asRuntimeException();
    }
    CuratorLeader l = leader.require();
    var kv = l.etcd().getKVClient();
    var stored = kv.get(bs(Keys.INITIAL_OWNER)).get(10, TimeUnit.SECONDS).getKvs();
    if (stored.isEmpty()) {
      throw Status.FAILED_PRECONDITION
          .withDescription("cluster has no initial owner")
          .asRuntimeException();
    }
    byte[] owner =
        InitialOwner.parseFrom(stored.getFirst().getValue().getBytes())
            .getPublicKey()
            .toByteArray();
    if (!MessageDigest.isEqual(owner, key)) {
      throw Status.PERMISSION_DENIED
          .withDescription("public_key is not the cluster's initial owner key")
          .asRuntimeException();
    }
    ClusterPki.Ca ca =
        ClusterPki.loadCa(kv)
            .orElseThrow(
                () -> Status.INTERNAL.withDescription("cluster has no CA").asRuntimeException());
    var cert =
        ClusterPki.ensureIssued(
            kv,
            Optional.of(l.leadership()),
            OWNER,
            () ->
                CertificateTemplates.user(
                    ca.certificate(), ca.key(), Ed25519.publicKey(key), OWNER));
    out.onNext(
        EscrowResponse.newBuilder()
            .addFulfilled(
                ProofRequest.newBuilder().setKind(ProofRequest.Kind.KIND_REFRESH_CERTIFICATE))
            .setEmittedCertificate(ByteString.copyFrom(cert.getEncoded()))
            .build());
    out.onCompleted();
  }
}
