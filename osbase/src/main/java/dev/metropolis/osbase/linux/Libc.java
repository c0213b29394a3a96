package dev.metropolis.osbase.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The few glibc calls osbase needs, bound through FFM (no JNI, no native build step). Every call
 * captures {@code errno} and throws {@link LinuxException} on failure, so callers never see raw
 * return codes. Constants are the x86-64/aarch64 Linux values.
 *
 * <p>Blocking calls ({@link #pollIn}) pin the carrier of a virtual thread for their duration: call
 * them from platform threads.
 */
public final class Libc {
  public static final int AF_INET = 2;
  public static final int AF_PACKET = 17;
  public static final int SOCK_DGRAM = 2;
  public static final int SOCK_NONBLOCK = 0x800;
  public static final int SOCK_CLOEXEC = 0x80000;
  public static final int O_RDONLY = 0;
  public static final int O_CLOEXEC = 0x80000;
  public static final int CLONE_NEWNET = 0x40000000;
  public static final int POLLIN = 1;
  public static final int EINTR = 4;
  public static final int EAGAIN = 11;
  public static final int SIOCGIFHWADDR = 0x8927;
  public static final int SIOCGIFINDEX = 0x8933;

  /** {@code struct ifreq}: a 16-byte name, then a 24-byte union. */
  public static final int IFREQ_SIZE = 40;

  public static final int IFNAMSIZ = 16;

  private static final Linker LINKER = Linker.nativeLinker();
  private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO =
      CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));

  private static final MethodHandle SOCKET =
      handle("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
  private static final MethodHandle BIND =
      handle("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
  private static final MethodHandle SENDTO =
      handle(
          "sendto",
          FunctionDescriptor.of(
              JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
  private static final MethodHandle RECVFROM =
      handle(
          "recvfrom",
          FunctionDescriptor.of(
              JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));
  private static final MethodHandle CLOSE =
      handle("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
  private static final MethodHandle POLL =
      handle("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
  private static final MethodHandle SETNS =
      handle("setns", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
  // open(2) and ioctl(2) are variadic: declare the variadic part so the ABI sets it up right.
  private static final MethodHandle OPEN =
      handle(
          "open",
          FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
          Linker.Option.firstVariadicArg(2));
  private static final MethodHandle IOCTL =
      handle(
          "ioctl",
          FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS),
          Linker.Option.firstVariadicArg(2));
  private static final MethodHandle STRERROR =
      LINKER.downcallHandle(
          LINKER.defaultLookup().find("strerror").orElseThrow(),
          FunctionDescriptor.of(ADDRESS, JAVA_INT));

  private Libc() {}

  private static MethodHandle handle(
      String name, FunctionDescriptor descriptor, Linker.Option... extra) {
    Linker.Option[] options = new Linker.Option[extra.length + 1];
    options[0] = Linker.Option.captureCallState("errno");
    System.arraycopy(extra, 0, options, 1, extra.length);
    return LINKER.downcallHandle(
        LINKER
            .defaultLookup()
            .find(name)
            .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name)),
        descriptor,
        options);
  }

  /** The C library's description of {@code errno}, e.g. "Network is down". */
  public static String strerror(int errno) {
    try {
      MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
      return s.reinterpret(256).getString(0);
    } catch (Throwable t) {
      return "errno " + errno;
    }
  }

  private static LinuxException failure(String call, MemorySegment capture) {
    int errno = (int) ERRNO.get(capture, 0L);
    return new LinuxException(call, errno);
  }

  public static int socket(int domain, int type, int protocol) throws LinuxException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
      int fd = (int) SOCKET.invokeExact(capture, domain, type, protocol);
      if (fd < 0) {
        throw failure("socket", capture);
      }
      return fd;
    } catch (LinuxException e) {
      throw e;
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  public static void bind(int fd, MemorySegment address) throws LinuxException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
      int r = (int) BIND.invokeExact(capture, fd, address, (int) address.byteSize());
      if (r < 0) {
        throw failure("bind", capture);
      }
    } catch (LinuxException e) {
      throw e;
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** Sends {@code data} to {@code address}; returns the number of bytes sent. */
  public static long sendto(int fd, MemorySegment data, MemorySegment address)
      throws LinuxException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
      long r =
          (long)
              SENDTO.invokeExact(
                  capture, fd, data, data.byteSize(), 0, address, (int) address.byteSize());
      if (r < 0) {
        throw failure("sendto", capture);
      }
      return r;
    } catch (LinuxException e) {
      throw e;
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /**
   * Receives one datagram into {@code buffer}, and the sender's address into {@code from} (whose
   * size is the capacity). Returns the datagram's length, or -1 when a non-blocking socket has
   * nothing ({@code EAGAIN}).
   */
  public static long recvfrom(int fd, MemorySegment buffer, MemorySegment from)
      throws LinuxException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
      MemorySegment fromLen = arena.allocate(JAVA_INT);
      fromLen.set(JAVA_INT, 0, (int) from.byteSize());
      long r =
          (long) RECVFROM.invokeExact(capture, fd, buffer, buffer.byteSize(), 0, from, fromLen);
      if (r < 0) {
        int errno = (int) ERRNO.get(capture, 0L);
        if (errno == EAGAIN) {
          return -1;
        }
        throw new LinuxException("recvfrom", errno);
      }
      return r;
    } catch (LinuxException e) {
      throw e;
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /**
   * Waits up to {@code timeoutMillis} until {@code fd} is readable. Returns false on timeout or
   * when interrupted by a signal (the caller loops anyway).
   */
  public static boolean pollIn(int fd, int timeoutMillis) throws LinuxException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
      // struct pollfd { int fd; short events; short revents; }
      MemorySegment pfd = arena.allocate(8, 4);
      pfd.set(JAVA_INT, 0, fd);
      pfd.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 4, (short) POLLIN);
      int r = (int) POLL.invokeExact(capture, pfd, 1L, timeoutMillis);
      if (r < 0) {
        int errno = (int) ERRNO.get(capture, 0L);
        if (errno == EINTR) {
          return false;
        }
        throw new LinuxException("poll", errno);
      }
      return r > 0;
    } catch (LinuxException e) {
      throw e;
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  public static void close(int fd) throws LinuxException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
      int r = (int) CLOSE.invokeExact(capture, fd);
      if (r < 0) {
        throw failure("close", capture);
      }
    } catch (LinuxException e) {
      throw e;
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** Opens {@code path} read-only with close-on-exec; returns the descriptor. */
  public static int openReadOnly(String path) throws LinuxException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
      int fd = (int) OPEN.invokeExact(capture, arena.allocateFrom(path), O_RDONLY | O_CLOEXEC, 0);
      if (fd < 0) {
        throw new LinuxException("open " + path, (int) ERRNO.get(capture, 0L));
      }
      return fd;
    } catch (LinuxException e) {
      throw e;
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** Moves the calling thread (only it) into the namespace {@code fd} refers to. */
  public static void setns(int fd, int nstype) throws LinuxException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
      int r = (int) SETNS.invokeExact(capture, fd, nstype);
      if (r < 0) {
        throw failure("setns", capture);
      }
    } catch (LinuxException e) {
      throw e;
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** {@code ioctl(fd, request, arg)} with a pointer argument, e.g. a {@code struct ifreq}. */
  public static void ioctl(int fd, long request, MemorySegment arg) throws LinuxException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
      int r = (int) IOCTL.invokeExact(capture, fd, request, arg);
      if (r < 0) {
        throw failure("ioctl 0x" + Long.toHexString(request), capture);
      }
    } catch (LinuxException e) {
      throw e;
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }
}
