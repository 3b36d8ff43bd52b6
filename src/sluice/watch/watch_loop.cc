#include "sluice/watch/watch_loop.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <thread>

#include "sluice/net/retry_policy.h"
#include "sluice/util/duration.h"
#include "sluice/util/exit_codes.h"
#include "sluice/watch/watch_state.h"

namespace sluice {
namespace {

// The events emitted last, kept to be saved with the state while the reader may not have read
// them. Bounded: a reader this far behind holds the watcher back anyway (its pipe is full).
constexpr size_t kMaxRecent = 10000;
// What the reader may have read from the pipe but not yet acted on (sluice-trigger reads 64 KiB
// at a time and journals each line as it parses it): kept beyond the pipe's unread bytes.
constexpr size_t kReaderBuffer = 64 * 1024;
// When the output's backlog cannot be known, this many of the last events are kept.
constexpr size_t kUnknownBacklogEvents = 1000;

class RecentEvents {
 public:
  void Add(nlohmann::json event, size_t bytes) {
    recent_.push_back({std::move(event), bytes});
    if (recent_.size() > kMaxRecent) recent_.pop_front();
  }
  // The newest events covering `unread` bytes plus the reader's buffer; the last
  // kUnknownBacklogEvents when the backlog is unknown.
  std::vector<nlohmann::json> Unread(std::optional<size_t> unread) const {
    size_t from = recent_.size();
    if (!unread) {
      from = recent_.size() > kUnknownBacklogEvents ? recent_.size() - kUnknownBacklogEvents : 0;
    } else if (*unread > 0) {
      size_t covered = 0;
      while (from > 0 && covered < *unread + kReaderBuffer) covered += recent_[--from].bytes;
    }
    std::vector<nlohmann::json> out;
    for (size_t i = from; i < recent_.size(); ++i) out.push_back(recent_[i].event);
    return out;
  }

 private:
  struct Emitted {
    nlohmann::json event;
    size_t bytes;
  };
  std::deque<Emitted> recent_;
};

struct TargetState {
  std::unique_ptr<Watcher> watcher;
  std::optional<Snapshot> last;  // nullopt until the first successful poll (or from --state)
  bool failing = false;          // the last poll failed (logged once, not every interval)
};

// Polls every target, at most `max_parallel` at once; results[i] belongs to targets[i].
std::vector<Result<Snapshot>> PollAll(std::vector<TargetState>& targets, int max_parallel) {
  std::vector<std::optional<Result<Snapshot>>> slots(targets.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < targets.size(); i = next++) slots[i] = targets[i].watcher->Poll();
  };
  size_t threads = std::min<size_t>(targets.size(), std::max(1, max_parallel));
  if (threads <= 1) {
    work();
  } else {
    std::vector<std::thread> pool;
    for (size_t t = 0; t < threads; ++t) pool.emplace_back(work);
    for (auto& thread : pool) thread.join();
  }
  std::vector<Result<Snapshot>> results;
  results.reserve(slots.size());
  for (auto& slot : slots) results.push_back(std::move(*slot));
  return results;
}

// A failure no retry will fix: the bucket is gone, access is denied, the request is wrong.
bool IsFatal(const Error& e) {
  if (e.kind == ErrorKind::kCredentials || e.kind == ErrorKind::kConfig ||
      e.kind == ErrorKind::kInvalidArgument) {
    return true;
  }
  if (e.kind != ErrorKind::kService) return false;
  if (e.code == "NoSuchBucket" || e.code == "AccessDenied" || e.code == "InvalidAccessKeyId" ||
      e.code == "SignatureDoesNotMatch" || e.code == "AllAccessDisabled" ||
      e.code == "PermanentRedirect" || e.http_status == 301 || e.http_status == 403) {
    return true;
  }
  // Any other client error the client did not retry (an SSE-C object's 400, a malformed
  // request) repeats every interval: say it once and stop rather than poll it forever.
  return e.http_status >= 400 && e.http_status < 500 && e.http_status != 404 &&
         ClassifyFailure(e) == FailureClass::kNotRetryable;
}

}  // namespace

bool KeySelected(const WatchOptions& options, std::string_view key) {
  if (!options.include.empty() &&
      std::none_of(options.include.begin(), options.include.end(),
                   [&](const Glob& g) { return g.Matches(key); })) {
    return false;
  }
  return std::none_of(options.exclude.begin(), options.exclude.end(),
                      [&](const Glob& g) { return g.Matches(key); });
}

int RunWatch(const WatchOptions& options, std::vector<std::unique_ptr<Watcher>> watchers,
             const WatchDeps& deps) {
  WatchState state;
  if (deps.state) {
    auto loaded = deps.state->Load();
    if (!loaded.ok()) {
      deps.log(loaded.error().ToString());
      return loaded.error().kind == ErrorKind::kInterrupted ? kExitInterrupted : kExitFailure;
    }
    state = std::move(loaded).value();
  }

  std::vector<TargetState> targets;
  std::map<std::string, Status> checked;  // by CheckScope()
  for (auto& watcher : watchers) {
    std::string scope = watcher->CheckScope();
    auto known = scope.empty() ? checked.end() : checked.find(scope);
    Status check = known != checked.end() ? known->second : watcher->Check();
    if (!scope.empty()) checked.emplace(scope, check);
    if (Status s = check; !s.ok()) {
      deps.log("cannot watch " + watcher->target().uri + ": " + s.error().ToString());
      return kExitFailure;
    }
    TargetState t;
    if (const Snapshot* saved = state.Find(watcher->target().uri)) t.last = *saved;
    t.watcher = std::move(watcher);
    targets.push_back(std::move(t));
  }

  // Every event goes out through here, so that those the reader may not have read are known.
  RecentEvents recent;
  const bool keeping = deps.state != nullptr;
  auto emit = [&](nlohmann::json event) {
    if (keeping) {
      size_t bytes = event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).size() + 1;
      if (!deps.emit(event)) return false;
      recent.Add(std::move(event), bytes);
      return true;
    }
    return deps.emit(event);
  };
  // A store with a lease is saved at least this often, whether or not anything changed.
  const std::chrono::milliseconds renew_every =
      keeping ? deps.state->renew_every() : std::chrono::milliseconds(0);
  SystemTime last_saved = deps.clock->Now();
  auto save = [&](bool release = false) -> Status {
    std::optional<size_t> unread = deps.unread_output ? deps.unread_output() : std::optional<size_t>(0);
    state.SetReplay(recent.Unread(unread));
    last_saved = deps.clock->Now();
    return release ? deps.state->Release(state) : deps.state->Save(state);
  };
  auto renewal_due = [&] {
    return renew_every.count() > 0 && deps.clock->Now() - last_saved >= renew_every;
  };
  if (!state.Replay().empty()) {
    deps.log("replaying " + std::to_string(state.Replay().size()) +
             " event(s) the reader may not have read before the last stop (--state)");
    for (nlohmann::json event : state.Replay()) {
      event["replayed"] = true;
      if (!emit(std::move(event))) return kExitSuccess;  // the reader went away
    }
  }

  // --timeout counts from the start, and again from each event: it ends a quiet watch.
  auto last_activity = deps.clock->Now();
  bool first_pass = true;
  while (true) {
    auto results = PollAll(targets, options.max_parallel);
    bool emitted_any = false;
    bool state_changed = false;
    SystemTime now = deps.clock->Now();
    for (size_t i = 0; i < targets.size(); ++i) {
      TargetState& t = targets[i];
      const WatchTarget& target = t.watcher->target();
      Result<Snapshot>& result = results[i];
      if (!result.ok()) {
        // A signal abandoned this poll: keep the last snapshot; the loop ends below.
        if (result.error().kind == ErrorKind::kInterrupted) continue;
        if (IsFatal(result.error())) {
          deps.log("cannot watch " + target.uri + ": " + result.error().ToString());
          if (keeping) (void)save(/*release=*/true);
          return kExitFailure;
        }
        // Transient (5xx, throttling, network) after the client's own retries: keep the last
        // snapshot and try again next interval.
        if (!t.failing) {
          deps.log("warning: polling " + target.uri + " failed (" + result.error().ToString() +
                   "); retrying every interval");
        }
        t.failing = true;
        continue;
      }
      if (t.failing) deps.log(target.uri + ": polling works again");
      t.failing = false;

      std::vector<Change> changes;
      if (t.last) {
        changes = DiffSnapshots(*t.last, *result);
      } else if (options.initial) {
        for (const auto& [key, version] : *result) changes.push_back({ChangeKind::kExists, key, version});
      }
      for (const Change& change : changes) {
        bool wanted = change.kind == ChangeKind::kExists ||
                      std::find(options.events.begin(), options.events.end(), change.kind) !=
                          options.events.end();
        if (!wanted || !KeySelected(options, change.key)) continue;
        WatchEvent event{change.kind,   target.ObjectUri(change.key), target.bucket, change.key,
                         change.object, std::string(t.watcher->source()), now};
        if (!emit(ToJson(event))) return kExitSuccess;  // the reader went away
        emitted_any = true;
        last_activity = now;
        if (options.once) break;
      }
      if (!t.last || !changes.empty()) state_changed = true;
      t.last = std::move(*result);
      state.Set(target.uri, *t.last);
      if (options.once && emitted_any) break;
    }
    if (keeping && (state_changed || first_pass || emitted_any || renewal_due())) {
      if (Status s = save(); !s.ok()) {
        deps.log("cannot save the state: " + s.error().ToString());
        return kExitFailure;
      }
    }
    if (first_pass) {
      // Says when the baseline is taken: changes from now on are events (scripts and tests
      // wait for this line before they change anything).
      deps.log("watching " + std::to_string(targets.size()) + " target" +
               (targets.size() == 1 ? "" : "s") + ", every " + FormatDuration(options.interval));
    }
    first_pass = false;
    // Stopping: what the reader has taken by now need not be replayed.
    auto stop = [&](int code) {
      if (keeping) {
        if (Status s = save(/*release=*/true); !s.ok()) {
          deps.log("cannot save the state: " + s.error().ToString());
        }
      }
      return code;
    };
    if (options.once && emitted_any) return stop(kExitSuccess);
    if (deps.interrupted()) return stop(kExitInterrupted);

    auto wait = options.interval;
    if (options.timeout.count() > 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          last_activity + options.timeout - deps.clock->Now());
      if (left.count() <= 0) return stop(kExitTimeout);
      wait = std::min(wait, left);
    }
    // Sleep until the next poll, waking to renew the lease of the state when that falls due
    // first. A sleep that ends early for another reason (a local change) polls at once.
    const SystemTime wake = deps.clock->Now() + wait;
    while (true) {
      SystemTime before = deps.clock->Now();
      if (before >= wake) break;
      auto step = std::chrono::duration_cast<std::chrono::milliseconds>(wake - before);
      if (renew_every.count() > 0) {
        step = std::min(step, std::max(std::chrono::milliseconds(0),
                                       std::chrono::duration_cast<std::chrono::milliseconds>(
                                           last_saved + renew_every - before)));
      }
      if (step.count() > 0 && !deps.sleep(step)) return stop(kExitInterrupted);
      if (!renewal_due()) break;
      if (Status s = save(); !s.ok()) {
        deps.log("cannot save the state: " + s.error().ToString());
        return kExitFailure;
      }
    }
  }
}

}  // namespace sluice
