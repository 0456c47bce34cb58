// Data-parallel collectives: c10d's Gloo process group over a TCPStore rendezvous.
//
// Gloo headers and the ABI. libtorch_cpu.so contains Gloo (built from the commit
// PyTorch pins) and c10d's ProcessGroupGloo, but the wheel ships no gloo/ headers,
// which ProcessGroupGloo.hpp includes. The build takes them from Debian's
// libgloo-dev (scripts/setup-libtorch installs it), a 2022 snapshot that differs
// from PyTorch's Gloo in ways that matter for layout: gloo::Context lost its virtual
// destructor (so its members sit at other offsets) and gloo::rendezvous::Store
// gained a base class and five virtual functions (so its vtable differs). That is
// safe here because nothing of Gloo's crosses between this file and libtorch except
// through pointers that only libtorch dereferences:
// - gloo objects appear only as std::shared_ptr<gloo::transport::Device> (made by
//   libtorch's createDevice* and handed back to it in Options::devices); a
//   shared_ptr's layout does not depend on its pointee, and its control block,
//   deleter included, was made in libtorch;
// - the process group is created with ProcessGroupGloo's exported constructor and
//   then used only as a c10d::Backend (torch's own header, same version), through
//   virtual calls that land in libtorch's code;
// - nothing here names GlooStore, gloo::Context or ProcessGroupGloo::setTimeout, the
//   header's inline code that does touch Gloo's layouts. GlooStore matters most: its
//   vtable is a weak symbol that libtorch_cpu.so exports, so a copy emitted here
//   (built from Debian's Store, without the slots libtorch's Gloo calls) would be
//   the one the dynamic linker binds libtorch to. `nm -C` on a binary shows no
//   GlooStore symbol and only these gloo-related references: createDevice*,
//   Options' constructor and ProcessGroupGloo's. A change here that needs more
//   needs PyTorch's own gloo headers instead;
// - Gloo's exceptions (gloo::IoException for a peer that closed its connection)
//   are caught as std::exception, whose typeinfo is libstdc++'s, not by their Gloo
//   type.
// Only headers are used: libgloo.so from Debian is never linked (its symbols would
// collide with the Gloo inside libtorch_cpu.so).
//
// GLOO_STORE_HAS_STORE_V2 is deliberately left undefined: with Debian's Store it
// would declare overrides of functions the base class does not have.
#include "shim.h"

#if !__has_include(<gloo/context.h>)
#error "gloo headers not found: run `scripts/setup-libtorch` (it installs Debian's libgloo-dev)"
#endif

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

struct tt_process_group_s {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::Backend> backend;
  int rank;
  int size;
  std::chrono::milliseconds timeout;
};

namespace {

bool is_loopback(const std::string &host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

// The interface Gloo listens on, chosen as torch.distributed does: GLOO_SOCKET_IFNAME
// when set; the master's own address when it is a loopback one (every rank on this
// machine, nothing exposed on the network); else the address this host's name
// resolves to.
std::shared_ptr<gloo::transport::Device> make_device(const std::string &master) {
  const char *ifname = std::getenv("GLOO_SOCKET_IFNAME");
  if (ifname != nullptr && *ifname != '\0') {
    std::string name(ifname);
    return c10d::ProcessGroupGloo::createDeviceForInterface(name.substr(0, name.find(',')));
  }
  if (is_loopback(master)) return c10d::ProcessGroupGloo::createDeviceForHostname(master);
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

// A peer that dies while this process writes to its socket raises SIGPIPE in
// Gloo's writev, and SIGPIPE's default action ends the process silently. PyTorch
// never meets that: Python ignores SIGPIPE at start. A handler the program
// installed itself is left alone.
void ignore_sigpipe_if_default() {
  struct sigaction current {};
  if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL &&
      (current.sa_flags & SA_SIGINFO) == 0) {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGPIPE, &ignore, nullptr);
  }
}

c10d::ReduceOp reduce_op(int op) {
  switch (op) {
    case TT_PG_SUM: return c10d::ReduceOp::SUM;
    case TT_PG_AVG: return c10d::ReduceOp::AVG;
    case TT_PG_PRODUCT: return c10d::ReduceOp::PRODUCT;
    case TT_PG_MIN: return c10d::ReduceOp::MIN;
    case TT_PG_MAX: return c10d::ReduceOp::MAX;
  }
  throw std::invalid_argument("unknown reduce op code " + std::to_string(op));
}

tt_process_group_s &checked(tt_process_group pg) {
  if (pg == nullptr) throw std::invalid_argument("null process group handle");
  return *pg;
}

// Starts a collective and waits for it, reporting any failure as
// "<name> failed on rank R of N (timeout T ms): <c10d's or Gloo's message>".
// c10d's messages name the peer's address where it knows it ("Connection closed by
// peer [127.0.0.1]:port") but not its rank; a peer that stalls shows as c10d's
// "Operation timed out!".
// `finish` runs after a successful wait (copying results back).
template <typename Start, typename Finish>
int run_collective(tt_process_group pg, const char *name, Start &&start, Finish &&finish) {
  std::string where = name;
  try {
    auto &group = checked(pg);
    where += " failed on rank " + std::to_string(group.rank) + " of " + std::to_string(group.size) +
             " (timeout " + std::to_string(group.timeout.count()) + " ms): ";
    at::NoGradGuard no_grad;
    c10::intrusive_ptr<c10d::Work> work = start(group);
    work->wait(group.timeout);
    finish();
    return TT_OK;
  } catch (const c10::Error &e) {
    ctorch::set_error(where + e.what_without_backtrace());
  } catch (const std::exception &e) {
    ctorch::set_error(where + e.what());
  } catch (...) {
    ctorch::set_error(where + "unknown C++ exception in c10d");
  }
  return TT_ERROR;
}

template <typename Start>
int run_collective(tt_process_group pg, const char *name, Start &&start) {
  return run_collective(pg, name, std::forward<Start>(start), [] {});
}

// Gloo reads and writes a tensor's memory as one dense block, so an in-place
// collective on a strided view runs on a contiguous copy that is copied back.
struct InPlace {
  at::Tensor target;
  at::Tensor dense;

  explicit InPlace(tt_tensor t) : target(ctorch::get(t)), dense(target.contiguous()) {}

  void finish() {
    if (!dense.is_same(target)) target.copy_(dense);
  }
};

}  // namespace

extern "C" {

tt_process_group tt_process_group_gloo_create(const char *master_addr, int master_port, int rank,
                                              int world_size, int64_t timeout_ms) {
  std::string where = "process group (rank " + std::to_string(rank) + " of " + std::to_string(world_size) + ")";
  try {
    if (master_addr == nullptr || *master_addr == '\0') throw std::invalid_argument("empty master address");
    if (master_port <= 0 || master_port > 65535)
      throw std::invalid_argument("master port " + std::to_string(master_port) + " is not in 1...65535");
    if (world_size < 1) throw std::invalid_argument("world size must be at least 1");
    if (rank < 0 || rank >= world_size)
      throw std::invalid_argument("rank " + std::to_string(rank) + " is not in 0..<" + std::to_string(world_size));
    if (timeout_ms <= 0) throw std::invalid_argument("timeout must be positive");
    where += " at " + std::string(master_addr) + ":" + std::to_string(master_port);
    const auto timeout = std::chrono::milliseconds(timeout_ms);
    ignore_sigpipe_if_default();

    c10d::TCPStoreOptions store_options;
    store_options.port = static_cast<uint16_t>(master_port);
    store_options.isServer = rank == 0;
    store_options.numWorkers = static_cast<size_t>(world_size);
    store_options.waitWorkers = true;  // rank 0 fails here, naming how many joined
    store_options.timeout = timeout;
    auto store = c10::make_intrusive<c10d::TCPStore>(std::string(master_addr), store_options);

    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    options->devices.push_back(make_device(master_addr));
    c10::intrusive_ptr<c10d::Backend> backend =
        c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, world_size, options);
    return new tt_process_group_s{std::move(store), std::move(backend), rank, world_size, timeout};
  } catch (const c10::Error &e) {
    ctorch::set_error(where + ": " + e.what_without_backtrace());
  } catch (const std::exception &e) {
    ctorch::set_error(where + ": " + e.what());
  } catch (...) {
    ctorch::set_error(where + ": unknown C++ exception in c10d");
  }
  return nullptr;
}

void tt_process_group_free(tt_process_group pg) {
  if (pg == nullptr) return;
  try {
    pg->backend.reset();  // joins Gloo's worker threads after the queued work
    pg->store.reset();
  } catch (...) {
  }
  delete pg;
}

int tt_pg_rank(tt_process_group pg) { return pg == nullptr ? -1 : pg->rank; }

int tt_pg_size(tt_process_group pg) { return pg == nullptr ? -1 : pg->size; }

int tt_pg_allreduce(tt_process_group pg, tt_tensor t, int op) {
  std::optional<InPlace> in_place;
  return run_collective(
      pg, "allreduce",
      [&](tt_process_group_s &group) {
        c10d::AllreduceOptions options;
        options.reduceOp = reduce_op(op);
        options.timeout = group.timeout;
        in_place.emplace(t);
        std::vector<at::Tensor> tensors{in_place->dense};
        return group.backend->allreduce(tensors, options);
      },
      [&] { in_place->finish(); });
}

int tt_pg_broadcast(tt_process_group pg, tt_tensor t, int root) {
  std::optional<InPlace> in_place;
  return run_collective(
      pg, "broadcast",
      [&](tt_process_group_s &group) {
        if (root < 0 || root >= group.size)
          throw std::invalid_argument("root " + std::to_string(root) + " is not a rank of the group");
        c10d::BroadcastOptions options;
        options.rootRank = root;
        options.timeout = group.timeout;
        in_place.emplace(t);
        std::vector<at::Tensor> tensors{in_place->dense};
        return group.backend->broadcast(tensors, options);
      },
      [&] { in_place->finish(); });
}

int tt_pg_allgather(tt_process_group pg, tt_tensor t, tt_tensor *out) {
  std::vector<at::Tensor> gathered;
  int status = run_collective(pg, "allgather", [&](tt_process_group_s &group) {
    const at::Tensor input = ctorch::get(t).contiguous();
    std::vector<at::Tensor> inputs{input};
    std::vector<std::vector<at::Tensor>> outputs(1);
    for (int r = 0; r < group.size; r++) outputs[0].push_back(at::empty_like(input, at::MemoryFormat::Contiguous));
    c10d::AllgatherOptions options;
    options.timeout = group.timeout;
    auto work = group.backend->allgather(outputs, inputs, options);
    gathered = outputs[0];  // the same tensors the work fills in
    return work;
  });
  if (status != TT_OK) return status;
  for (size_t r = 0; r < gathered.size(); r++) out[r] = ctorch::wrap(std::move(gathered[r]));
  return TT_OK;
}

int tt_pg_barrier(tt_process_group pg) {
  return run_collective(pg, "barrier", [&](tt_process_group_s &group) {
    c10d::BarrierOptions options;
    options.timeout = group.timeout;
    return group.backend->barrier(options);
  });
}

}  // extern "C"
