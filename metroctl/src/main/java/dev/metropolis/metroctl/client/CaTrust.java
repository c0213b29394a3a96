package dev.metropolis.metroctl.client;

import dev.metropolis.osbase.pki.Certificates;
import dev.metropolis.rpc.PeerClassifier;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Trust on first use of the cluster CA, as SSH does for host keys.
 *
 * <p>A pinned {@value ConfigDir#CA} is used as it is. Otherwise the CA is fetched without
 * verification and accepted only if:
 *
 * <ul>
 *   <li>an owner certificate exists and the CA issued it: the operator's own credentials vouch for
 *       it, so nobody is asked; if the CA did not issue it, this is another cluster or someone in
 *       the middle, and the CA is refused without asking;
 *   <li>or the operator passed {@code --insecure-accept-and-persist-first-encountered-ca};
 *   <li>or the operator answers {@code yes} on the terminal after seeing its fingerprint.
 * </ul>
 *
 * <p>An accepted CA is pinned, so the question is asked at most once per config directory.
 */
public final class CaTrust {
  /** The flag that accepts an unverified CA without asking. */
  public static final String ACCEPT_FLAG = "--insecure-accept-and-persist-first-encountered-ca";

  private CaTrust() {}

  /** The outcome of {@link #decide}. */
  public sealed interface Decision {
    /** Pin the CA. */
    record Accept() implements Decision {}

    /** Do not trust it, for the stated reason (one line, shown to the operator). */
    record Refuse(String reason) implements Decision {}
  }

  /**
   * Decides whether to trust {@code candidate}, fetched unverified from {@code where} (the
   * endpoints, and the proxy if any, for the operator to recognise).
   */
  public static Decision decide(
      X509Certificate candidate,
      Optional<X509Certificate> ownerCert,
      boolean acceptFirst,
      String where,
      Prompter prompter) {
    if (!Certificates.isEd25519(candidate) || candidate.getBasicConstraints() < 0) {
      return new Decision.Refuse(
          "the cluster at " + where + " sent a CA certificate that is not an Ed25519 CA");
    }
    if (ownerCert.isPresent()) {
      if (PeerClassifier.verifyUser(ownerCert.get(), candidate).isPresent()) {
        return new Decision.Accept();
      }
      return new Decision.Refuse(
          "the cluster at "
              + where
              + " has a CA that did not issue your owner certificate: refusing to trust it"
              + " (another cluster, or someone intercepting the connection?)");
    }
    if (acceptFirst) {
      return new Decision.Accept();
    }
    String fingerprint = fingerprint(candidate);
    Optional<String> answer =
        prompter.ask(
            List.of(
                "The authenticity of the cluster at endpoints " + where + " can't be established.",
                "ED25519 key fingerprint of the cluster CA is " + fingerprint + "."),
            "Are you sure you want to continue connecting (yes/no)?");
    if (answer.isEmpty()) {
      return new Decision.Refuse(
          "the cluster CA ("
              + fingerprint
              + ") is not trusted yet and there is no terminal to ask on; check the fingerprint"
              + " and pass "
              + ACCEPT_FLAG
              + " to accept it");
    }
    if (answer.get().strip().equals("yes")) {
      return new Decision.Accept();
    }
    return new Decision.Refuse("cluster CA not accepted: the answer was not \"yes\"");
  }

  /**
   * Returns the trusted CA: the pinned one, or one fetched with {@code fetch} and accepted by
   * {@link #decide}, which is then pinned.
   */
  public static X509Certificate establish(
      ConfigDir config,
      Supplier<X509Certificate> fetch,
      boolean acceptFirst,
      String where,
      Prompter prompter) {
    Optional<X509Certificate> pinned = config.caCertificate();
    if (pinned.isPresent()) {
      return pinned.get();
    }
    X509Certificate candidate = fetch.get();
    Decision d = decide(candidate, config.ownerCertificate(), acceptFirst, where, prompter);
    if (d instanceof Decision.Refuse(String reason)) {
      throw new MetroctlException(reason);
    }
    try {
      config.writeCaCertificate(candidate);
    } catch (IOException e) {
      throw new MetroctlException(
          "cannot save the cluster CA to " + config.path(ConfigDir.CA) + ": " + ConfigDir.reason(e),
          e);
    }
    return candidate;
  }

  /** {@code SHA256:} and the lowercase hex SHA-256 of the certificate's DER encoding. */
  public static String fingerprint(X509Certificate cert) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(cert.getEncoded());
      return "SHA256:" + HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
      throw new IllegalStateException("cannot fingerprint certificate", e);
    }
  }
}
