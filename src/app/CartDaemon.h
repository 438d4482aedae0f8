#pragma once

#include <Poco/Util/ServerApplication.h>

#include <string>

namespace acd {

struct AdminCommand;

/// abandoned-cartd: the command line of DESIGN §7 and the service that runs a cycle every
/// detection.intervalMinutes until it is asked to stop.
class CartDaemon : public Poco::Util::ServerApplication
{
protected:
    void initialize(Poco::Util::Application& self) override;
    void defineOptions(Poco::Util::OptionSet& options) override;
    int main(const std::vector<std::string>& args) override;

private:
    void handleOption(const std::string& name, const std::string& value) override;
    int importAppSettings();

    bool _helpRequested = false;
    bool _configCheck = false;
    bool _once = false;
    std::string _configPath;
    std::string _importPath;
    const AdminCommand* _command = nullptr;
    std::string _commandValue;
};

} // namespace acd
