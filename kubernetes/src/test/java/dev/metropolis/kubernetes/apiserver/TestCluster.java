package dev.metropolis.kubernetes.apiserver;

import dev.metropolis.osbase.pki.CertificateTemplates;
import dev.metropolis.osbase.pki.Ed25519;
import dev.metropolis.osbase.pki.Pem;
import dev.metropolis.osbase.testing.TestEtcd;
import io.etcd.jetcd.Client;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real etcd, an ApiServer on it over TLS with a fresh Ed25519 CA, and kubeconfigs for the owner
 * (cluster-admin), another user and an anonymous client, plus a way to run the real kubectl against
 * it with a private cache directory.
 */
public final class TestCluster implements AutoCloseable {
  static final String KUBECTL = "/usr/bin/kubectl";

  final TestEtcd etcd;
  final Client client;
  final ApiServer server;
  final Path dir;
  final KeyPair caKey;
  final X509Certificate ca;

  private TestCluster(
      TestEtcd etcd, Client client, ApiServer server, Path dir, KeyPair caKey, X509Certificate ca) {
    this.etcd = etcd;
    this.client = client;
    this.server = server;
    this.dir = dir;
    this.caKey = caKey;
    this.ca = ca;
  }

  public static TestCluster start() throws IOException, InterruptedException {
    TestEtcd etcd = TestEtcd.start();
    try {
      return start(etcd);
    } catch (IOException | InterruptedException | RuntimeException | Error e) {
      etcd.close();
      throw e;
    }
  }

  private static TestCluster start(TestEtcd etcd) throws IOException, InterruptedException {
    Client client = etcd.client();
    Path dir = Files.createTempDirectory("k8s-apiserver-test-");
    KeyPair caKey = Ed25519.generate();
    X509Certificate ca = CertificateTemplates.clusterCa(caKey);
    KeyPair serverKey = Ed25519.generate();
    X509Certificate serverCert =
        CertificateTemplates.peer(
            ca,
            caKey.getPrivate(),
            serverKey.getPublic(),
            "kubernetes",
            List.of(InetAddress.getLoopbackAddress()));
    ApiServer server =
        ApiServer.start(
            new ApiServerConfig(
                client,
                "/registry",
                ca,
                serverCert,
                serverKey.getPrivate(),
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                Set.of("owner"),
                Clock.systemUTC()));
    TestCluster c = new TestCluster(etcd, client, server, dir, caKey, ca);
    c.writeKubeconfig("owner", "owner");
    c.writeKubeconfig("alice", "alice");
    c.writeKubeconfig("anonymous", null);
    c.writeKubeconfig("untrusted", "owner", Ed25519.generate());
    return c;
  }

  public String url() {
    return "https://127.0.0.1:" + server.address().getPort();
  }

  /**
   * Writes {@code dir/<file>.kubeconfig} for user {@code cn}; null means no client certificate (a
   * bearer token the server does not accept, so kubectl does not prompt for a password).
   */
  Path writeKubeconfig(String file, String cn) throws IOException {
    return writeKubeconfig(file, cn, caKey);
  }

  /** As above, with the client certificate signed by {@code issuer} (not the CA: untrusted). */
  Path writeKubeconfig(String file, String cn, KeyPair issuer) throws IOException {
    if (cn == null) {
      return kubeconfigWithUser(file, "\n    token: not-a-credential\n");
    }
    KeyPair key = Ed25519.generate();
    return writeKubeconfig(
        file, key, CertificateTemplates.user(ca, issuer.getPrivate(), key.getPublic(), cn));
  }

  /** A kubeconfig presenting {@code cert} (e.g. a node certificate). */
  Path writeKubeconfig(String file, KeyPair key, X509Certificate cert) throws IOException {
    return kubeconfigWithUser(
        file,
        "\n    client-certificate-data: "
            + b64(Pem.encodeCertificate(cert))
            + "\n    client-key-data: "
            + b64(Pem.encodePrivateKey(key.getPrivate()))
            + "\n");
  }

  private Path kubeconfigWithUser(String file, String user) throws IOException {
    StringBuilder y = new StringBuilder();
    y.append("apiVersion: v1\nkind: Config\n");
    y.append("clusters:\n- name: metropolis\n  cluster:\n");
    y.append("    server: ").append(url()).append('\n');
    y.append("    certificate-authority-data: ")
        .append(b64(Pem.encodeCertificate(ca)))
        .append('\n');
    y.append("users:\n- name: u\n  user:").append(user);
    y.append("contexts:\n- name: c\n  context:\n    cluster: metropolis\n    user: u\n");
    y.append("current-context: c\n");
    Path p = dir.resolve(file + ".kubeconfig");
    Files.writeString(p, y.toString());
    return p;
  }

  /** Key and trust managers of a client presenting a certificate for {@code cn} (null: none). */
  @SuppressWarnings("ArrayRecordComponent") // handed to TLS libraries, never compared
  public record Tls(
      javax.net.ssl.KeyManager[] keyManagers, javax.net.ssl.TrustManager[] trustManagers) {}

  public Tls tls(String cn) throws java.security.GeneralSecurityException, IOException {
    if (cn == null) {
      return tls(null, null);
    }
    KeyPair key = Ed25519.generate();
    return tls(key, CertificateTemplates.user(ca, caKey.getPrivate(), key.getPublic(), cn));
  }

  /** Managers of a client presenting {@code cert} (null: none), trusting the CA. */
  Tls tls(KeyPair key, X509Certificate cert)
      throws java.security.GeneralSecurityException, IOException {
    java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", ca);
    javax.net.ssl.TrustManagerFactory tmf =
        javax.net.ssl.TrustManagerFactory.getInstance(
            javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    javax.net.ssl.KeyManager[] kms = null;
    if (cert != null) {
      java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry(
          "me", key.getPrivate(), new char[0], new java.security.cert.Certificate[] {cert});
      javax.net.ssl.KeyManagerFactory kmf =
          javax.net.ssl.KeyManagerFactory.getInstance(
              javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, new char[0]);
      kms = kmf.getKeyManagers();
    }
    return new Tls(kms, tmf.getTrustManagers());
  }

  /** A JDK HTTP client presenting {@code cert}, trusting the CA. */
  java.net.http.HttpClient http(KeyPair key, X509Certificate cert)
      throws java.security.GeneralSecurityException, IOException {
    Tls tls = tls(key, cert);
    javax.net.ssl.SSLContext ssl = javax.net.ssl.SSLContext.getInstance("TLS");
    ssl.init(tls.keyManagers(), tls.trustManagers(), null);
    return java.net.http.HttpClient.newBuilder().sslContext(ssl).build();
  }

  /** A JDK HTTP client presenting a certificate for {@code cn} (null: none), trusting the CA. */
  public java.net.http.HttpClient http(String cn)
      throws java.security.GeneralSecurityException, IOException {
    return http(cn, java.net.http.HttpClient.Version.HTTP_1_1);
  }

  /** As above, offering {@code version} (HTTP/2 is negotiated by ALPN). */
  java.net.http.HttpClient http(String cn, java.net.http.HttpClient.Version version)
      throws java.security.GeneralSecurityException, IOException {
    Tls tls = tls(cn);
    javax.net.ssl.SSLContext ssl = javax.net.ssl.SSLContext.getInstance("TLS");
    ssl.init(tls.keyManagers(), tls.trustManagers(), null);
    return java.net.http.HttpClient.newBuilder().sslContext(ssl).version(version).build();
  }

  private static String b64(String pem) {
    return Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.UTF_8));
  }

  /** The outcome of one kubectl run. */
  public record Result(int exit, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err;
    }
  }

  /** Runs kubectl as the owner with a fresh cache directory. */
  public Result kubectl(String... args) throws IOException, InterruptedException {
    return kubectlAs("owner", null, args);
  }

  /** Runs {@code binary} (null: /usr/bin/kubectl) as the kubeconfig {@code user}. */
  Result kubectlAs(String user, String binary, String... args)
      throws IOException, InterruptedException {
    return run(start(user, binary, null, args), 60);
  }

  public Result kubectlStdin(String stdin, String... args)
      throws IOException, InterruptedException {
    return run(start("owner", null, stdin, args), 60);
  }

  /** Runs kubectl as the owner with extra environment variables (e.g. KUBE_EDITOR). */
  Result kubectlEnv(Map<String, String> extra, String... args)
      throws IOException, InterruptedException {
    return run(start("owner", null, null, extra, args), 60);
  }

  Process start(String user, String binary, String stdin, String... args) throws IOException {
    return start(user, binary, stdin, Map.of(), args);
  }

  private Process start(
      String user, String binary, String stdin, Map<String, String> extra, String... args)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(binary == null ? KUBECTL : binary);
    cmd.addAll(List.of(args));
    Path cache = Files.createTempDirectory(dir, "cache-");
    ProcessBuilder pb = new ProcessBuilder(cmd);
    Map<String, String> env = pb.environment();
    env.put("KUBECONFIG", dir.resolve(user + ".kubeconfig").toString());
    env.put("KUBECACHEDIR", cache.toString());
    env.put("HOME", dir.toString());
    env.putAll(extra);
    Path in = dir.resolve("stdin-" + System.nanoTime());
    Files.writeString(in, stdin == null ? "" : stdin);
    pb.redirectInput(in.toFile());
    return pb.start();
  }

  static Result run(Process p, int timeoutSeconds) throws IOException, InterruptedException {
    var out = new java.util.concurrent.CompletableFuture<String>();
    var err = new java.util.concurrent.CompletableFuture<String>();
    Thread.ofVirtual().start(() -> out.complete(read(p.getInputStream())));
    Thread.ofVirtual().start(() -> err.complete(read(p.getErrorStream())));
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      p.waitFor();
      throw new IOException("kubectl did not finish in " + timeoutSeconds + " s: " + p.info());
    }
    return new Result(p.exitValue(), out.join(), err.join());
  }

  private static String read(java.io.InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "<" + e + ">";
    }
  }

  /**
   * fabric8's client (JDK HTTP) for user {@code cn}: fabric8 cannot read Ed25519 keys from a config
   * (it tries RSA and EC), so it gets the TLS managers of a JDK client instead.
   */
  public io.fabric8.kubernetes.client.KubernetesClient fabric8(String cn)
      throws java.security.GeneralSecurityException, IOException {
    io.fabric8.kubernetes.client.Config config =
        new io.fabric8.kubernetes.client.ConfigBuilder()
            .withMasterUrl(url())
            .withCaCertData(b64(Pem.encodeCertificate(ca)))
            .withNamespace("default")
            .build();
    Tls tls = tls(cn);
    return new io.fabric8.kubernetes.client.KubernetesClientBuilder()
        .withConfig(config)
        .withHttpClientBuilderConsumer(b -> b.sslContext(tls.keyManagers(), tls.trustManagers()))
        .build();
  }

  @Override
  public void close() {
    server.close();
    client.close();
    etcd.close();
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
