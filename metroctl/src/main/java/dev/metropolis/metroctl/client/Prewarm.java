package dev.metropolis.metroctl.client;

import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;

/**
 * Initialises the JDK's X.509, Ed25519, X25519 and TLS code on a second core while the first parses
 * the command line: a metroctl run is a new JVM, and these first uses cost tens of milliseconds
 * each on it. Only JDK providers are touched, which are built for concurrent first use; nothing
 * here has effects beyond the JVM's own caches, and failures are ignored (the real use reports
 * them).
 */
public final class Prewarm {
  private Prewarm() {}

  /** Starts the warm-up on a daemon thread and returns at once. */
  public static void start() {
    Thread.ofPlatform().daemon().name("metroctl-prewarm").start(Prewarm::run);
  }

  private static void run() {
    try {
      CertificateFactory.getInstance("X.509");
      KeyFactory.getInstance("Ed25519");
      MessageDigest.getInstance("SHA-256").digest(new byte[1]);
      KeyPairGenerator.getInstance("X25519").generateKeyPair();
      KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
      SSLContext.getInstance("TLSv1.3");
    } catch (Exception | LinkageError e) {
      // Only a warm-up: the call that needs the provider will report what is wrong.
    }
  }
}
