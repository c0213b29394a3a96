package dev.metropolis.metroctl.client;

import java.util.ArrayList;
import java.util.List;

/**
 * A {@code host:port} to dial. Operators name nodes by address only and the curator port is
 * implied, but a port may be given (tests, port forwards, proxies).
 *
 * @param host a hostname or an IP address; IPv6 without brackets
 * @param port 1 to 65535
 */
public record Endpoint(String host, int port) {
  /** The curator port, appended to endpoints given without one. */
  public static final int CURATOR_PORT = 7835;

  public Endpoint {
    if (!validHost(host)) {
      throw new IllegalArgumentException("invalid host \"" + host + "\"");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port must be 1-65535, got " + port);
    }
  }

  /**
   * Parses {@code host}, {@code host:port}, {@code [v6]}, {@code [v6]:port} or a bare IPv6 address
   * ({@code ::1}); a missing port is {@code defaultPort}.
   *
   * @throws IllegalArgumentException with a message naming what is wrong
   */
  public static Endpoint parse(String text, int defaultPort) {
    try {
      String[] hostPort = split(text);
      return new Endpoint(hostPort[0], hostPort[1] == null ? defaultPort : port(hostPort[1]));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid endpoint \"" + text + "\": " + e.getMessage(), e);
    }
  }

  /** Parses an endpoint, appending the curator port if none is given. */
  public static Endpoint parse(String text) {
    return parse(text, CURATOR_PORT);
  }

  /** Parses a comma-separated list of endpoints (see {@link #parse(String)}). */
  public static List<Endpoint> parseList(String text) {
    List<Endpoint> out = new ArrayList<>();
    for (String part : text.split(",", -1)) {
      out.add(parse(part));
    }
    return out;
  }

  /**
   * Parses {@code host:port} where the port is mandatory (a proxy has no default port).
   *
   * @throws IllegalArgumentException if the port is missing or anything is malformed
   */
  public static Endpoint parseWithPort(String text) {
    try {
      String[] hostPort = split(text);
      if (hostPort[1] == null) {
        throw new IllegalArgumentException("must be host:port");
      }
      return new Endpoint(hostPort[0], port(hostPort[1]));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid address \"" + text + "\": " + e.getMessage(), e);
    }
  }

  /** Splits into host and port text; the port is null when absent. */
  private static String[] split(String text) {
    String s = text.strip();
    if (s.isEmpty()) {
      throw new IllegalArgumentException("empty");
    }
    if (s.startsWith("[")) {
      int close = s.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException("missing ']'");
      }
      String host = s.substring(1, close);
      if (host.indexOf(':') < 0) {
        throw new IllegalArgumentException("brackets are only for IPv6 addresses");
      }
      String rest = s.substring(close + 1);
      if (rest.isEmpty()) {
        return new String[] {host, null};
      }
      if (!rest.startsWith(":")) {
        throw new IllegalArgumentException("unexpected \"" + rest + "\" after ']'");
      }
      return new String[] {host, rest.substring(1)};
    }
    int first = s.indexOf(':');
    if (first < 0 || s.indexOf(':', first + 1) >= 0) {
      // No colon, or several without brackets: an IPv6 address without a port.
      return new String[] {s, null};
    }
    return new String[] {s.substring(0, first), s.substring(first + 1)};
  }

  private static int port(String s) {
    if (s.isEmpty() || s.length() > 5 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IllegalArgumentException("port must be a number, got \"" + s + "\"");
    }
    return Integer.parseInt(s);
  }

  private static boolean validHost(String host) {
    if (host == null || host.isEmpty() || host.length() > 253) {
      return false;
    }
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '.'
              || c == '-'
              || c == '_'
              || c == ':'
              || c == '%';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** {@code host:port}, with an IPv6 host in brackets. */
  @Override
  public String toString() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}
