package dev.metropolis.kubernetes.apiserver;

import dev.metropolis.kubernetes.apiserver.api.ApiHandler;
import dev.metropolis.kubernetes.apiserver.auth.Authenticator;
import dev.metropolis.kubernetes.apiserver.auth.Authorizer;
import dev.metropolis.kubernetes.apiserver.http.HttpServer;
import dev.metropolis.kubernetes.apiserver.registry.Registry;
import dev.metropolis.kubernetes.apiserver.storage.Store;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * The Kubernetes-compatible API server: objects in etcd, served over HTTPS to kubectl and other
 * clients. {@link #start} binds and returns a running server; {@link #close} stops it (the etcd
 * client stays open: it belongs to the caller).
 */
public final class ApiServer implements AutoCloseable {
  private final HttpServer http;
  private final Loopback loopback;

  private ApiServer(HttpServer http, Loopback loopback) {
    this.http = http;
    this.loopback = loopback;
  }

  /** Creates the built-in namespaces if missing and starts serving. */
  public static ApiServer start(ApiServerConfig config) throws InterruptedException {
    Registry registry = Registry.builtin();
    Store store = new Store(config.etcd());
    String host = config.listen().getAddress().getHostAddress();
    ApiHandler handler =
        new ApiHandler(
            registry,
            store,
            config.prefix(),
            new Authorizer(config.admins()),
            config.clock(),
            host + ":" + config.listen().getPort());
    handler.bootstrap();
    Loopback.Issuer loopback = Loopback.Issuer.create();
    HttpServer http =
        HttpServer.start(
            config.listen(),
            List.of(config.ca(), loopback.ca()),
            config.certificate(),
            config.key(),
            new Authenticator(config.ca(), loopback.ca()),
            handler);
    InetSocketAddress bound = http.address();
    String url = "https://" + host(bound.getAddress()) + ":" + bound.getPort();
    return new ApiServer(http, loopback.client(url, config.certificate()));
  }

  private static String host(InetAddress a) {
    if (a.isAnyLocalAddress()) {
      return "127.0.0.1";
    }
    return a instanceof Inet6Address ? "[" + a.getHostAddress() + "]" : a.getHostAddress();
  }

  /** Credentials of in-process clients (controllers, scheduler) of this server. */
  public Loopback loopback() {
    return loopback;
  }

  /** The bound address (the real port when the config asked for port 0). */
  public InetSocketAddress address() {
    return http.address();
  }

  @Override
  public void close() {
    http.close();
  }
}
