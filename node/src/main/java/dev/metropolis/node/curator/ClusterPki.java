package dev.metropolis.node.curator;

import static dev.metropolis.node.curator.Keys.bs;

import dev.metropolis.osbase.pki.CertificateTemplates;
import dev.metropolis.osbase.pki.Ed25519;
import dev.metropolis.osbase.pki.Pem;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The cluster CA and the certificates it issued, stored in etcd. Every operation is "ensure"-style:
 * it returns what is stored under a name, or issues, stores and returns a new one if nothing is, in
 * one transaction guarded by "the key does not exist yet". Retrying an interrupted operation
 * therefore never issues a second CA or a second certificate for a name.
 */
public final class ClusterPki {
  /** The cluster CA: certificate and private key. */
  public record Ca(X509Certificate certificate, PrivateKey key) {}

  private static final long TIMEOUT_S = 10;

  private ClusterPki() {}

  /** A new CA, not yet stored anywhere. */
  public static Ca newCa() {
    KeyPair key = Ed25519.generate();
    return new Ca(CertificateTemplates.clusterCa(key), key.getPrivate());
  }

  /**
   * The cluster's CA; if the cluster has none yet, {@code candidate} is stored and becomes it.
   * Bootstrap passes the CA it already used for etcd's own certificates.
   */
  public static Ca ensureCa(KV kv, Ca candidate)
      throws InterruptedException, ExecutionException, TimeoutException {
    Optional<Ca> existing = loadCa(kv);
    if (existing.isPresent()) {
      return existing.get();
    }
    X509Certificate cert = candidate.certificate();
    TxnResponse r =
        kv.txn()
            .If(new Cmp(bs(Keys.CA_CERTIFICATE), Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
            .Then(
                Op.put(bs(Keys.CA_CERTIFICATE), der(cert), PutOption.DEFAULT),
                Op.put(
                    bs(Keys.CA_KEY),
                    ByteSequence.from(Ed25519.seed(candidate.key())),
                    PutOption.DEFAULT))
            .commit()
            .get(TIMEOUT_S, TimeUnit.SECONDS);
    if (r.isSucceeded()) {
      return candidate;
    }
    // Someone else created it between our read and our write: theirs wins.
    return loadCa(kv).orElseThrow(() -> new IllegalStateException("cluster CA vanished"));
  }

  public static Optional<Ca> loadCa(KV kv)
      throws InterruptedException, ExecutionException, TimeoutException {
    var certs = kv.get(bs(Keys.CA_CERTIFICATE)).get(TIMEOUT_S, TimeUnit.SECONDS).getKvs();
    var keys = kv.get(bs(Keys.CA_KEY)).get(TIMEOUT_S, TimeUnit.SECONDS).getKvs();
    if (certs.isEmpty() || keys.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        new Ca(
            Pem.parseCertificate(certs.getFirst().getValue().getBytes()),
            Ed25519.privateKeyFromSeed(keys.getFirst().getValue().getBytes())));
  }

  /** Just the CA certificate, if the cluster has one. */
  public static Optional<X509Certificate> loadCaCertificate(KV kv)
      throws InterruptedException, ExecutionException, TimeoutException {
    var certs = kv.get(bs(Keys.CA_CERTIFICATE)).get(TIMEOUT_S, TimeUnit.SECONDS).getKvs();
    return certs.stream().findFirst().map(c -> Pem.parseCertificate(c.getValue().getBytes()));
  }

  /**
   * The certificate stored under {@code name}, or {@code issue}'s result stored under it.
   *
   * @param fence when present, the write only happens while this curator is leader
   */
  public static X509Certificate ensureIssued(
      KV kv, Optional<Leadership> fence, String name, Supplier<X509Certificate> issue)
      throws InterruptedException, ExecutionException, TimeoutException, LostLeadershipException {
    ByteSequence key = bs(Keys.issued(name));
    var existing = kv.get(key, GetOption.DEFAULT).get(TIMEOUT_S, TimeUnit.SECONDS).getKvs();
    if (!existing.isEmpty()) {
      return Pem.parseCertificate(existing.getFirst().getValue().getBytes());
    }
    X509Certificate cert = issue.get();
    List<Cmp> absent = List.of(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0)));
    List<Op> put = List.of(Op.put(key, der(cert), PutOption.DEFAULT));
    List<Op> get = List.of(Op.get(key, GetOption.DEFAULT));
    TxnResponse r =
        fence.isPresent()
            ? fence.get().txn(absent, put, get)
            : kv.txn()
                .If(absent.toArray(Cmp[]::new))
                .Then(put.toArray(Op[]::new))
                .Else(get.toArray(Op[]::new))
                .commit()
                .get(TIMEOUT_S, TimeUnit.SECONDS);
    if (r.isSucceeded()) {
      return cert;
    }
    return Pem.parseCertificate(
        r.getGetResponses().getFirst().getKvs().getFirst().getValue().getBytes());
  }

  static ByteSequence der(X509Certificate cert) {
    try {
      return ByteSequence.from(cert.getEncoded());
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new IllegalStateException(e);
    }
  }
}
