#include "sluice/trigger/trigger_journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
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

TriggerJournal::~TriggerJournal() { ::close(fd_); }

std::optional<std::string> TriggerJournal::FinishedStatus(const TriggerEvent& event) const {
  std::lock_guard lock(mutex_);
  auto it = contents_.finished.find(event.Id());
  if (it == contents_.finished.end()) return std::nullopt;
  return it->second;
}

Status TriggerJournal::Accepted(const TriggerEvent& event) {
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
