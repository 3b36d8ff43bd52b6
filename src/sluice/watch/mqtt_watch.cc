#include "sluice/watch/mqtt_watch.h"

#include <algorithm>
#include <deque>
#include <set>

#include "sluice/event/mqtt_message.h"
#include "sluice/util/crypto.h"
#include "sluice/util/exit_codes.h"

namespace sluice {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kConnectTimeout{10000};
constexpr milliseconds kSlice{250};  // how often a wait checks for a signal
constexpr milliseconds kFirstBackoff{500};
constexpr milliseconds kMaxBackoff{30000};
constexpr size_t kMaxBatch = 256;  // messages written before one flush of PUBACKs
constexpr size_t kMaxRemembered = 4096;
constexpr std::chrono::seconds kHealthySession{10};

// A message whose events were written but whose PUBACK may not have reached the broker: when
// the broker sends it again (DUP), it is acknowledged without being written twice.
std::string MessageKey(const MqttPublish& m) {
  return std::to_string(m.packet_id) + ":" + Sha256Hex(m.topic + '\0' + m.payload);
}

// A field as text; `otherwise` when it is missing or not a string.
std::string StringField(const nlohmann::json& event, const char* name, const char* otherwise) {
  auto it = event.find(name);
  return it != event.end() && it->is_string() ? it->get<std::string>() : otherwise;
}

bool IsFatal(const Error& e) {
  return e.kind == ErrorKind::kCredentials || e.kind == ErrorKind::kConfig ||
         e.kind == ErrorKind::kInvalidArgument;
}

class MqttWatch {
 public:
  MqttWatch(const WatchOptions& options, const MqttWatchConfig& config, const WatchDeps& deps)
      : options_(options), config_(config), deps_(deps), last_activity_(deps.clock->Now()) {}

  int Run() {
    milliseconds backoff = kFirstBackoff;
    bool warned = false;
    while (true) {
      if (deps_.interrupted()) return kExitInterrupted;
      if (TimedOut()) return kExitTimeout;
      auto session = Open();
      if (!session.ok()) {
        if (IsFatal(session.error())) {
          deps_.log("cannot watch mqtt://" + config_.broker + ": " + session.error().message);
          return kExitFailure;
        }
        if (!warned) {
          deps_.log("warning: " + session.error().message + "; retrying with backoff");
          warned = true;
        }
        if (!deps_.sleep(std::min(backoff, TimeLeft()))) return kExitInterrupted;
        backoff = std::min(backoff * 2, kMaxBackoff);
        continue;
      }
      if (warned) deps_.log("connected to mqtt://" + config_.broker + " again");
      warned = false;
      SystemTime opened = deps_.clock->Now();
      delivered_ = false;
      std::optional<int> code = Consume(**session);
      if (code) {
        (*session)->Disconnect();
        return *code;
      }
      // A session that ends as soon as it is open (another client taking over the same client
      // id, a broker that drops the client) waits before the next try, as a refused one does.
      if (!delivered_ && deps_.clock->Now() - opened < kHealthySession) {
        if (!deps_.sleep(std::min(backoff, TimeLeft()))) return kExitInterrupted;
        backoff = std::min(backoff * 2, kMaxBackoff);
      } else {
        backoff = kFirstBackoff;
      }
    }
  }

 private:
  bool TimedOut() const {
    return options_.timeout.count() > 0 && deps_.clock->Now() - last_activity_ >= options_.timeout;
  }
  milliseconds TimeLeft() const {
    if (options_.timeout.count() == 0) return milliseconds::max();
    auto left = std::chrono::duration_cast<milliseconds>(last_activity_ + options_.timeout -
                                                         deps_.clock->Now());
    return std::max(left, milliseconds(1));
  }

  Result<std::unique_ptr<MqttSession>> Open() {
    auto transport = config_.connect();
    if (!transport.ok()) return transport.error();
    auto session =
        MqttSession::Open(std::move(transport).value(), config_.session, kConnectTimeout);
    if (!session.ok()) return session.error();
    // A persistent session the broker kept still has its subscriptions; subscribing again
    // would make the broker send every retained message again.
    // This process subscribes once in any case, so that the filters given are the ones in
    // effect (a session made by an earlier run with other filters, a first subscription cut
    // short); reconnects to a session the broker kept do not subscribe again.
    bool kept = subscribed_ && (*session)->session_present() && !config_.session.clean_session;
    if (!kept) {
      for (const std::string& filter : config_.filters) {
        auto granted = (*session)->Subscribe(filter, 1, kConnectTimeout);
        if (!granted.ok()) return granted.error();
        if (*granted == 0) {
          deps_.log("warning: the broker grants only QoS 0 on \"" + filter +
                    "\": messages published while the watcher is away are not kept");
        }
      }
      subscribed_ = true;
    }
    if (!announced_) {
      std::string filters;
      for (const std::string& f : config_.filters) filters += (filters.empty() ? "" : ", ") + f;
      deps_.log("watching " + filters + " at mqtt://" + config_.broker + " (QoS 1, " +
                (config_.session.clean_session
                     ? std::string("no --client-id: messages published while stopped are not kept")
                     : "client id " + config_.session.client_id + ": a persistent session" +
                           ((*session)->session_present() ? ", resumed" : ", new")) +
                ")");
      announced_ = true;
    }
    return session;
  }

  // Reads messages until the connection is lost (nullopt: reconnect) or the watch ends (its
  // exit code).
  std::optional<int> Consume(MqttSession& session) {
    while (true) {
      if (deps_.interrupted()) return kExitInterrupted;
      if (TimedOut()) return kExitTimeout;
      auto first = session.Receive(std::min(kSlice, TimeLeft()));
      if (!first.ok()) {
        if (first.error().kind == ErrorKind::kParse) {
          deps_.log("warning: the broker's packets make no sense (" + first.error().message +
                    "); reconnecting");
        } else {
          deps_.log("warning: lost the connection to mqtt://" + config_.broker + " (" +
                    first.error().message + "); reconnecting");
        }
        return std::nullopt;
      }
      if (!*first) continue;
      std::vector<MqttPublish> batch;
      batch.push_back(std::move(**first));
      // What else has arrived already, for one flush of PUBACKs.
      while (batch.size() < kMaxBatch) {
        auto next = session.Receive(milliseconds(0));
        if (!next.ok() || !*next) break;
        batch.push_back(std::move(**next));
      }
      std::vector<uint16_t> acks;
      std::vector<std::string> keys;
      bool done = false;
      for (const MqttPublish& message : batch) {
        auto handled = Handle(message);
        if (!handled) {
          // The reader went away: what it got is acknowledged, the rest stays at the broker.
          (void)session.Acknowledge(acks);
          return kExitSuccess;
        }
        if (message.qos > 0) {
          acks.push_back(message.packet_id);
          keys.push_back(MessageKey(message));
        }
        if (*handled && options_.once) {
          done = true;
          break;  // the rest stays unacknowledged: the broker keeps it for the next watcher
        }
      }
      // Remembered whether or not the PUBACK seems to go out: a connection the broker already
      // closed (a reader that blocked us past the keep-alive) takes the write and drops it.
      for (std::string& key : keys) Remember(std::move(key));
      if (Status acked = session.Acknowledge(acks); !acked.ok()) {
        deps_.log("warning: lost the connection to mqtt://" + config_.broker +
                  " before acknowledging (" + acked.error().message + "); reconnecting");
        if (done) return kExitSuccess;
        return std::nullopt;
      }
      if (done) return kExitSuccess;
    }
  }

  // Writes a message's events (all of them, also with --once); whether any was written, or
  // nullopt when the reader went away.
  std::optional<bool> Handle(const MqttPublish& message) {
    if (message.dup && written_.count(MessageKey(message)) > 0) return false;
    // A clean session subscribes again after each reconnect, and the broker sends the topics'
    // retained messages again: those seen already in this run are not events.
    if (message.retain) {
      std::string key = "retained:" + Sha256Hex(message.topic + '\0' + message.payload);
      if (written_.count(key) > 0) return false;
      Remember(std::move(key));
    }
    if (message.truncated) {
      deps_.log("warning: message on topic " + message.topic + ": a payload of " +
                std::to_string(message.payload_length) + " bytes is over the limit of " +
                std::to_string(config_.session.max_payload) + "; dropped");
      return false;
    }
    auto events =
        EventsFromMqttMessage(message.topic, message.payload, message.retain, deps_.clock->Now());
    if (!events.ok()) {
      deps_.log("warning: message on topic " + message.topic + " is not an event (" +
                events.error().message + "); dropped");
      return false;
    }
    bool wrote = false;
    delivered_ = true;
    for (const nlohmann::json& event : *events) {
      auto parsed = ParseChangeKind(StringField(event, "event", "created"));
      if (!parsed || std::find(options_.events.begin(), options_.events.end(), *parsed) ==
                         options_.events.end()) {
        continue;
      }
      if (!KeySelected(options_, StringField(event, "key", ""))) continue;
      if (!deps_.emit(event)) return std::nullopt;
      wrote = true;
      last_activity_ = deps_.clock->Now();
    }
    return wrote;
  }

  // Bounded, oldest out first.
  void Remember(std::string key) {
    if (!written_.insert(key).second) return;
    order_.push_back(std::move(key));
    if (order_.size() > kMaxRemembered) {
      written_.erase(order_.front());
      order_.pop_front();
    }
  }

  const WatchOptions& options_;
  const MqttWatchConfig& config_;
  const WatchDeps& deps_;
  SystemTime last_activity_;
  bool announced_ = false;
  bool subscribed_ = false;
  bool delivered_ = false;  // the current session delivered a message
  // Messages written (and acknowledged, or about to be), and retained messages seen.
  std::set<std::string> written_;
  std::deque<std::string> order_;
};

}  // namespace

Result<MqttWatchConfig> MakeMqttWatchConfig(const std::vector<std::string>& targets,
                                            const std::string& client_id, const Environment& env) {
  MqttWatchConfig config;
  std::optional<MqttUri> broker;
  for (const std::string& text : targets) {
    auto uri = ParseMqttUri(text);
    if (!uri.ok()) return uri.error();
    if (Status ok = CheckTopicFilter(uri->topic); !ok.ok()) return ok.error();
    if (broker &&
        (broker->host != uri->host || broker->port != uri->port || broker->tls != uri->tls)) {
      return Error::InvalidArgument("every mqtt:// target must name the same broker (" +
                                    broker->Broker() + " and " + uri->Broker() +
                                    "): run one sluice-watch per broker");
    }
    if (!broker) broker = *uri;
    config.filters.push_back(uri->topic);
  }
  if (!broker) return Error::InvalidArgument("no mqtt:// target");
  config.broker = broker->Broker();
  if (client_id.size() > 65535 || client_id.find('\0') != std::string::npos) {
    return Error::InvalidArgument("--client-id: at most 65535 bytes, no NUL");
  }
  config.session.clean_session = client_id.empty();
  config.session.client_id = client_id.empty() ? RandomMqttClientId("sluicewatch") : client_id;
  if (Status ok = SetMqttCredentials(env, config.session); !ok.ok()) return ok.error();
  MqttUri where = *broker;
  config.connect = [where] { return ConnectMqtt(where, kConnectTimeout); };
  return config;
}

int RunMqttWatch(const WatchOptions& options, const MqttWatchConfig& config,
                 const WatchDeps& deps) {
  return MqttWatch(options, config, deps).Run();
}

}  // namespace sluice
