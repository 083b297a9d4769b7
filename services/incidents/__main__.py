from services.incidents.main import main

main()
