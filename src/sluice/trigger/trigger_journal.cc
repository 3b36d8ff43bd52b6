#include "sluice/trigger/trigger_journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <set>

#include "sluice/os/file_read.h"
#include "sluice/os/file_write.h"

namespace sluice {
namespace {

using nlohmann::json;

void AddFinished(JournalContents& contents, const std::string& id, const std::string& status) {
  auto [it, inserted] = contents.finished.insert_or_assign(id, status);
  if (inserted) contents.finished_order.push_back(id);
}

}  // namespace

JournalContents ParseJournal(std::string_view text, size_t* skipped) {
  JournalContents contents;
  std::vector<std::pair<std::string, json>> accepted;  // id, fields
  std::set<std::string> accepted_ids;
  size_t bad = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    std::string_view line = text.substr(start, end == std::string_view::npos ? end : end - start);
    start = end == std::string_view::npos ? text.size() : end + 1;
    if (line.empty()) continue;
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.contains("accepted") && j["accepted"].is_object() &&
        j.value("id", json()).is_string()) {
      std::string id = j["id"];
      if (accepted_ids.insert(id).second) accepted.emplace_back(id, std::move(j["accepted"]));
    } else if (j.is_object() && j.value("finished", json()).is_string() &&
               j.value("status", json()).is_string()) {
      AddFinished(contents, j["finished"], j["status"]);
    } else if (j.is_object() && j.contains("lease")) {
      // The lease of a journal kept in S3: JournalLease reads it.
    } else {
      ++bad;
    }
  }
  for (auto& [id, fields] : accepted) {
    if (!contents.finished.count(id)) contents.unfinished.push_back(std::move(fields));
  }
  if (skipped) *skipped = bad;
  return contents;
}

std::optional<StateLease> JournalLease(std::string_view text) {
  std::string_view first = text.substr(0, text.find('\n'));
  json j = json::parse(first, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("lease")) return std::nullopt;
  return LeaseFromJson(j["lease"]);
}

std::string SerializeJournal(const JournalContents& contents, size_t keep_finished) {
  std::string out;
  for (const json& fields : contents.unfinished) {
    TriggerEvent event;
    event.fields = fields;
    out += json{{"accepted", fields}, {"id", event.Id()}}.dump() + "\n";
  }
  size_t skip = contents.finished_order.size() > keep_finished
                    ? contents.finished_order.size() - keep_finished
                    : 0;
  for (size_t i = skip; i < contents.finished_order.size(); ++i) {
    const std::string& id = contents.finished_order[i];
    out += json{{"finished", id}, {"status", contents.finished.at(id)}}.dump() + "\n";
  }
  return out;
}

Result<std::unique_ptr<TriggerJournal>> TriggerJournal::Open(const std::string& path) {
  int error_number = 0;
  auto text = ReadWholeFile(path, &error_number);
  if (!text && error_number != ENOENT) {
    return Error::Config("cannot read the journal " + path + ": " + std::strerror(error_number));
  }
  JournalContents contents = ParseJournal(text.value_or(""));
  // Compacted at each start, so that a journal of a pipeline running for months stays small.
  if (Status written = WriteFileAtomically(path, SerializeJournal(contents, kKeepFinished));
      !written.ok()) {
    return Error::Config("cannot write the journal: " + written.error().message);
  }
  // The finished ids beyond what was kept are forgotten in memory too.
  while (contents.finished_order.size() > kKeepFinished) {
    contents.finished.erase(contents.finished_order.front());
    contents.finished_order.pop_front();
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) {
    return Error::Config("cannot open the journal " + path + ": " + std::strerror(errno));
  }
  return std::unique_ptr<TriggerJournal>(new TriggerJournal(path, fd, std::move(contents)));
}

TriggerJournal::TriggerJournal(std::string path, int fd, JournalContents contents)
    : path_(std::move(path)), fd_(fd), contents_(std::move(contents)) {}

Result<std::unique_ptr<TriggerJournal>> TriggerJournal::OpenLeased(
    std::unique_ptr<ConditionalObject> object, StateLease mine, LeasedObjectDeps deps) {
  std::string uri = object->uri();
  auto leased = std::make_unique<LeasedObject>(
      std::move(object), std::move(mine), LeaseHolderNames{"sluice-trigger", "--journal"},
      [](const std::string& body) -> Result<std::optional<StateLease>> {
        return JournalLease(body);
      },
      std::move(deps));
  std::unique_ptr<TriggerJournal> journal(new TriggerJournal(uri, -1, {}));
  auto found = leased->Claim([&](const std::optional<std::string>& body) -> LeasedObject::BodyWriter {
    journal->contents_ = ParseJournal(body.value_or(""));
    while (journal->contents_.finished_order.size() > kKeepFinishedInS3) {
      journal->contents_.finished.erase(journal->contents_.finished_order.front());
      journal->contents_.finished_order.pop_front();
    }
    journal->open_.clear();
    for (const json& fields : journal->contents_.unfinished) {
      TriggerEvent event;
      event.fields = fields;
      journal->open_.emplace_back(event.Id(), fields);
    }
    // The claim writes the journal compacted, with this sluice-trigger's lease.
    return [&journal](const StateLease& lease) { return journal->LeasedBody(lease); };
  });
  if (!found.ok()) return found.error();
  journal->leased_ = std::move(leased);
  journal->last_write_ = std::chrono::steady_clock::now();
  return journal;
}

Result<std::unique_ptr<TriggerJournal>> TriggerJournal::OpenAt(
    const std::string& where, std::shared_ptr<const ClientContext> context,
    std::chrono::milliseconds lease, LeasedObjectDeps deps) {
  if (where.rfind("s3://", 0) != 0) return Open(where);
  auto object = OpenS3ConditionalObject(where, "--journal", std::move(context));
  if (!object.ok()) return object.error();
  return OpenLeased(std::move(object).value(), NewLeaseForThisProcess(lease), std::move(deps));
}

std::string TriggerJournal::LeasedBody(const StateLease& lease) const {
  JournalContents now;
  for (const auto& [id, fields] : open_) now.unfinished.push_back(fields);
  now.finished = contents_.finished;
  now.finished_order = contents_.finished_order;
  return json{{"lease", LeaseToJson(lease)}}.dump() + "\n" +
         SerializeJournal(now, kKeepFinishedInS3);
}

Status TriggerJournal::WriteLeased(bool release) {
  if (lost_) {
    return TakenOverError("the journal " + path_ + " was taken over by another sluice-trigger");
  }
  Status written = leased_->Write([this](const StateLease& lease) { return LeasedBody(lease); },
                                  release);
  last_write_ = std::chrono::steady_clock::now();
  // Refused conditionally: another sluice-trigger holds it now (or something else wrote it).
  if (!written.ok() && IsTakenOver(written.error())) lost_ = true;
  return written;
}

void TriggerJournal::StartRenewing() {
  if (!leased_ || renewer_.joinable()) return;
  renewer_ = std::thread([this] { Renew(); });
}

void TriggerJournal::Renew() {
  std::unique_lock lock(mutex_);
  const auto every = leased_->renew_every();
  while (!closed_ && !lost_) {
    auto due = last_write_ + every;
    if (stop_renewing_.wait_until(lock, due, [this] { return closed_; })) return;
    if (std::chrono::steady_clock::now() < last_write_ + every) continue;  // written meanwhile
    (void)WriteLeased(/*release=*/false);  // a failure is Lost(), seen by the runner
  }
}

void TriggerJournal::Close() {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
  }
  stop_renewing_.notify_all();
  if (renewer_.joinable()) renewer_.join();
  std::lock_guard lock(mutex_);
  if (leased_ && !lost_) (void)WriteLeased(/*release=*/true);
}

bool TriggerJournal::Lost() const {
  std::lock_guard lock(mutex_);
  return lost_;
}

TriggerJournal::~TriggerJournal() {
  Close();
  if (fd_ >= 0) ::close(fd_);
}

std::optional<std::string> TriggerJournal::FinishedStatus(const TriggerEvent& event) const {
  std::lock_guard lock(mutex_);
  auto it = contents_.finished.find(event.Id());
  if (it == contents_.finished.end()) return std::nullopt;
  return it->second;
}

Status TriggerJournal::Accepted(const TriggerEvent& event) {
  if (leased_) {
    std::lock_guard lock(mutex_);
    std::string id = event.Id();
    if (std::none_of(open_.begin(), open_.end(), [&](const auto& e) { return e.first == id; })) {
      open_.emplace_back(id, event.fields);
    }
    return WriteLeased(/*release=*/false);
  }
  return Append(json{{"accepted", event.fields}, {"id", event.Id()}}.dump() + "\n", /*sync=*/true);
}

Status TriggerJournal::Finished(const TriggerEvent& event, const std::string& status) {
  std::string id = event.Id();
  {
    std::lock_guard lock(mutex_);
    AddFinished(contents_, id, status);
    while (contents_.finished_order.size() > kKeepFinished) {
      contents_.finished.erase(contents_.finished_order.front());
      contents_.finished_order.pop_front();
    }
    if (leased_) {
      std::erase_if(open_, [&](const auto& e) { return e.first == id; });
      return WriteLeased(/*release=*/false);
    }
  }
  return Append(json{{"finished", id}, {"status", status}}.dump() + "\n", /*sync=*/false);
}

Status TriggerJournal::Append(const std::string& line, bool sync) {
  std::lock_guard lock(mutex_);
  // One write per line with O_APPEND: a kill leaves whole lines and at most one torn last line.
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::Io("write to the journal " + path_ + ": " + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  if (sync && ::fdatasync(fd_) != 0) {
    return Error::Io("fdatasync of the journal " + path_ + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace sluice
