#include "app/CartDaemon.h"

#include <iostream>

POCO_SERVER_MAIN(acd::CartDaemon)
